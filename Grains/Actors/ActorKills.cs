namespace OrleansRay.Actors;

/// <summary>Why an actor that was killed is dead: the kill's reason, and for a kill that allowed a restart, that it had
/// none left (Ray's death cause names it).</summary>
internal static class ActorKills
{
    /// <summary>The death cause of actor <paramref name="spec"/>, killed for <paramref name="reason"/>; a kill that asked
    /// for no restart (<paramref name="noRestart"/>) says only the reason, since nothing else kept it from restarting.</summary>
    public static string DeathCause(ActorCreationSpec spec, string reason, bool noRestart) =>
        noRestart
            ? $"Actor {spec.ClassName} ({spec.ActorId}) was killed: {reason}"
            : spec.Options.MaxRestarts == 0
            ? $"Actor {spec.ClassName} ({spec.ActorId}) was killed and may not restart (MaxRestarts = 0): {reason}"
            : $"Actor {spec.ClassName} ({spec.ActorId}) was killed with no restarts left (MaxRestarts = {spec.Options.MaxRestarts}, all used): {reason}";
}
