using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>The object behind a runtime's <see cref="INodeEndpoint"/> reference: hands each call to the runtime.</summary>
/// <remarks>Orleans holds observers weakly: the runtime keeps this object alive for as long as it runs.</remarks>
internal sealed class NodeEndpoint : INodeEndpoint
{
    private readonly NodeRuntime _runtime;

    public NodeEndpoint(NodeRuntime runtime)
    {
        _runtime = runtime;
    }

    public Task<RemoteResult[]?> RunTasksAsync(INodeEndpoint replyTo, RemoteTask[] tasks) => _runtime.Foreign.RunAsync(replyTo, tasks);

    public Task DeliverResultsAsync(RemoteResult[] results)
    {
        _runtime.Foreign.Deliver(results);
        return Task.CompletedTask;
    }

    public Task ActorCallsMovedAsync(ActorCallsMoved moved)
    {
        _runtime.Actors.CallsMoved(moved);
        return Task.CompletedTask;
    }

    public Task CancelTaskAsync(TaskId taskId, bool force, bool recursive)
    {
        _runtime.Foreign.Cancel(taskId, force, recursive);
        return Task.CompletedTask;
    }

    public Task<RemoteResult> RecoverObjectAsync(ObjectId id, string lostStore) => _runtime.Foreign.RecoverForBorrowerAsync(id, lostStore);

    public Task DeleteStoredAsync(ObjectId[] ids)
    {
        _runtime.Values.DriverObjects.Forget(ids);
        if (_runtime.Store is { } store)
        {
            foreach (var id in ids)
            {
                store.Delete(Ownership.LocalObjectStore.ToStoreId(id));
            }
        }

        return Task.CompletedTask;
    }

    public Task RecordPutAsync(WorkerId driver, ObjectId id)
    {
        _runtime.Values.DriverObjects.Record(driver, id);
        return Task.CompletedTask;
    }

    public Task ReleasePutsAsync(WorkerId driver)
    {
        _runtime.Values.DriverObjects.Free([driver], _runtime.Store);
        return Task.CompletedTask;
    }

    public Task BorrowsChangedAsync(ObjectId[] added, ObjectId[] removed)
    {
        foreach (var id in added)
        {
            _runtime.Objects.AddHandle(id);
        }

        foreach (var id in removed)
        {
            _runtime.Objects.ReleaseHandle(id);
        }

        return Task.CompletedTask;
    }

    public Task<RemoteResult> WaitObjectAsync(ObjectId id) => _runtime.Foreign.WaitObjectForBorrowerAsync(id);

    public Task<NodeDetails> GetDetailsAsync(int latestTasks) => NodeDetailsReport.ReadAsync(_runtime, latestTasks);

    public Task<NodeStateAnswer> QueryStateAsync(StateQuery query) => Task.FromResult(NodeStateReport.Answer(_runtime, query));

    public Task<bool?[]> GetSpilledAsync(ObjectId[] ids) => StoreResidency.SpilledAsync(_runtime, ids, CancellationToken.None);

    public Task<string?> DrainIfIdleAsync(bool confirm) =>
        _runtime.Cluster.Occupancy is NodeOccupancy occupancy ? occupancy.DrainIfIdleAsync(confirm) : Task.FromResult<string?>("this runtime has no node occupancy");

    public Task<bool> ReserveBundlesAsync(BundleReservation[] bundles) => Task.FromResult(_runtime.Scheduler.Resources.ReserveBundles(bundles));

    public Task<int> WaitGeneratorConsumedAsync(TaskId taskId, int atLeast) => _runtime.Generators.WaitConsumedAsync(taskId, atLeast);

    public Task<SpillbackAnswer> SpilledBackAsync(NodeId from, TaskId taskId, NodeId suggested) =>
        Task.FromResult(Placement.Spillback.TakeBack(_runtime.Cluster, _runtime.Scheduler, from, taskId, suggested));

    public Task ReleaseBundlesAsync(Guid placementGroupId)
    {
        _runtime.Scheduler.Resources.ReleaseBundles(placementGroupId);
        return Task.CompletedTask;
    }

    public Task RemovePlacementGroupAsync(Guid placementGroupId) => _runtime.PlacementGroups.RemovedAsync(placementGroupId);

    public Task PrintTaskOutputAsync(TaskOutputBatch batch)
    {
        TaskOutputPrinter.Print(batch, Console.Out, Console.Error);
        return Task.CompletedTask;
    }

    public Task<int> DrainTaskOutputAsync(WorkerId driver, TimeSpan deadline) =>
        _runtime.TaskOutput.DrainAsync(driver, deadline < TimeSpan.Zero ? TimeSpan.Zero : deadline > MaxDrain ? MaxDrain : deadline);

    /// <summary>The longest a driver may have a node wait for its output to go (the caller's deadline is clamped to it).</summary>
    private static readonly TimeSpan MaxDrain = TimeSpan.FromMinutes(1);
}
