using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.Actors;

/// <summary>Tells the control store what became of an actor hosted here: its state in the actor table (what the
/// dashboard, status and later activations read), and the release of its name when it dies.</summary>
/// <remarks>Fire and forget: the actor's own calls never wait for the control store; a failed report is logged.</remarks>
internal sealed partial class ActorStateReports
{
    private readonly ActorServices _runtime;
    private readonly ILogger _logger;

    public ActorStateReports(ActorServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>The actor died: its record says DEAD, and a named actor's name is released.</summary>
    public void Dead(ActorCreationSpec spec)
    {
        if (!spec.ActorId.IsEmpty)
        {
            ReportState(spec.ActorId, ActorState.Dead);
        }

        if (!string.IsNullOrEmpty(spec.Options.Name))
        {
            Unregister(spec);
        }
    }

    /// <summary>Records the actor's state in its row of the actor table (batched per shard).</summary>
    public void ReportState(ActorId actorId, ActorState state, int restarts = 0) => _runtime.ActorTable.Report(actorId, state, _runtime.NodeId.Value ?? string.Empty, restarts);

    /// <summary>Releases a dead actor's name in the actor directory.</summary>
    public void Unregister(ActorCreationSpec spec) => _ = UnregisterAsync(spec);

    private async Task UnregisterAsync(ActorCreationSpec spec)
    {
        try
        {
            await _runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(spec.Options.Namespace).UnregisterAsync(spec.Options.Name, spec.ActorId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogUnregisterFailed(_logger, spec.Options.Name, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the name {Name} in the actor directory failed")]
    private static partial void LogUnregisterFailed(ILogger logger, string name, Exception exception);
}
