namespace OrleansRay.Train;

/// <summary>Which exceptions mean a call to the cluster did not get through (the actor or its node died, the node
/// the driver talks through went away, or the call timed out), as opposed to a bug to let fly.</summary>
internal static class CallFailures
{
    /// <summary>True for <see cref="RayException"/> (actor died, task failed, ...), Orleans'
    /// <see cref="Orleans.Runtime.SiloUnavailableException"/> and <see cref="TimeoutException"/>.</summary>
    public static bool IsLost(Exception exception) =>
        exception is RayException or Orleans.Runtime.SiloUnavailableException or TimeoutException;
}
