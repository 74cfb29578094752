using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Node;
using OrleansRay.Scheduling;

namespace OrleansRay.Hosting;

/// <summary>Binds the node runtime to its silo: names the node once the silo is up, routes leases through the executor
/// grain while the silo is active, and shuts the runtime down when the silo stops.</summary>
internal sealed class NodeRuntimeLifecycle : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly NodeRuntime _runtime;
    private readonly ILocalSiloDetails _silo;
    private readonly IGrainFactory _grainFactory;

    public NodeRuntimeLifecycle(NodeRuntime runtime, ILocalSiloDetails silo, IGrainFactory grainFactory)
    {
        _runtime = runtime;
        _silo = silo;
        _grainFactory = grainFactory;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(NodeRuntimeLifecycle), ServiceLifecycleStage.Active, OnActiveAsync, OnStopAsync);
    }

    private async Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _runtime.NodeId = new NodeId(_silo.SiloAddress.ToParsableString());
        var executor = _grainFactory.GetGrain<ITaskExecutorGrain>(0);
        _runtime.Scheduler.LeaseRoute.RouteThrough(new ExecutorLeaseStarter(executor));
        _runtime.JoinCluster();
        await _runtime.Cluster.Refresh.RefreshAsync().ConfigureAwait(false);
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        // From here on leases run directly: the executor grain may already be deactivating.
        _runtime.Scheduler.LeaseRoute.RunDirectly();
        // The node and job tables are going away with the silo (or this node is leaving): stop asking them.
        _runtime.StopWatchingEndedJobs();
        await _runtime.Cluster.Refresh.StopAsync().ConfigureAwait(false);
    }

    /// <summary>Starts leases through the node's executor grain.</summary>
    private sealed class ExecutorLeaseStarter(ITaskExecutorGrain executor) : ILeaseStarter
    {
        public Task StartLeaseAsync(long leaseId) => executor.RunLeaseAsync(leaseId);
    }
}
