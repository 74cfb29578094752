using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Transport;

namespace OrleansRay.Actors;

/// <summary>This node's way to the actor table (<see cref="IActorTableGrain"/>): registrations and state reports go in
/// batches, one batch in flight per shard, so creating many actors at once costs a few grain calls per shard instead of
/// one per actor.</summary>
internal sealed partial class ActorTableClient
{
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;
    private readonly SendPump<(ActorCreationSpec Spec, TaskCompletionSource Stored)>[] _registrations = new SendPump<(ActorCreationSpec, TaskCompletionSource)>[ActorTableShards.Count];
    private readonly SendPump<ActorStateReport>[] _reports = new SendPump<ActorStateReport>[ActorTableShards.Count];

    public ActorTableClient(IGrainFactory grains, ILogger logger)
    {
        _grains = grains;
        _logger = logger;
        for (var shard = 0; shard < ActorTableShards.Count; shard++)
        {
            var table = grains.GetGrain<IActorTableGrain>(shard);
            _registrations[shard] = new SendPump<(ActorCreationSpec Spec, TaskCompletionSource Stored)>(
                async batch =>
                {
                    await table.RegisterAsync(Array.ConvertAll(batch, static item => item.Spec)).ConfigureAwait(false);
                    foreach (var item in batch)
                    {
                        item.Stored.TrySetResult();
                    }
                },
                static (batch, ex) =>
                {
                    foreach (var item in batch)
                    {
                        item.Stored.TrySetException(ex);
                    }
                });
            _reports[shard] = new SendPump<ActorStateReport>(
                table.ReportAsync,
                (batch, ex) => LogReportsFailed(_logger, batch.Length, ex.Message));
        }
    }

    /// <summary>Records a new actor; completes once its row is stored (with the next batch for its shard).</summary>
    /// <exception cref="Exception">What the table's call threw (the head unreachable, a spec that cannot be serialized).</exception>
    public Task RegisterAsync(ActorCreationSpec spec)
    {
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _registrations[ActorTableShards.Of(spec.ActorId)].Enqueue((spec, stored));
        return stored.Task;
    }

    /// <summary>Reports an actor's new state (fire and forget: the actor's own calls never wait for the control store;
    /// a failed report is logged).</summary>
    public void Report(ActorId actorId, ActorState state, string node, int restarts = 0) =>
        _reports[ActorTableShards.Of(actorId)].Enqueue(new ActorStateReport(actorId, state, node, restarts));

    /// <summary>Reports an actor's new state and waits until the table has it.</summary>
    public Task ReportAsync(ActorId actorId, ActorState state, string node) =>
        Shard(actorId).ReportAsync([new ActorStateReport(actorId, state, node)]);

    /// <summary>The table's rows of <paramref name="actorIds"/> (<see cref="IActorTableGrain.RowsAsync"/>): an id the table
    /// never saw, or whose dead row it dropped as one of the oldest, has none.</summary>
    public async Task<ActorTableRowInfo[]> RowsAsync(ActorId[] actorIds)
    {
        var shards = actorIds.GroupBy(ActorTableShards.Of).Select(g => _grains.GetGrain<IActorTableGrain>(g.Key).RowsAsync(g.ToArray()));
        return (await Task.WhenAll(shards).ConfigureAwait(false)).SelectMany(r => r).ToArray();
    }

    /// <summary>Asks the table to rebuild an actor that lost its instance (<see cref="IActorTableGrain.RestartAsync"/>).</summary>
    public Task<ActorRestart> RestartAsync(ActorId actorId, string node) => Shard(actorId).RestartAsync(actorId, node);

    private IActorTableGrain Shard(ActorId actorId) => _grains.GetGrain<IActorTableGrain>(ActorTableShards.Of(actorId));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reporting {Count} actor states to the control store failed: {Reason}")]
    private static partial void LogReportsFailed(ILogger logger, int count, string reason);
}
