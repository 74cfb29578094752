using Orleans.Runtime;
using OrleansRay.Node;

namespace OrleansRay.Hosting;

/// <summary>Binds the node runtime to its silo: names the node and joins the cluster once the silo is up, and stops
/// watching the cluster when the silo stops.</summary>
internal sealed class NodeRuntimeLifecycle : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly NodeRuntime _runtime;
    private readonly ILocalSiloDetails _silo;

    public NodeRuntimeLifecycle(NodeRuntime runtime, ILocalSiloDetails silo)
    {
        _runtime = runtime;
        _silo = silo;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(NodeRuntimeLifecycle), ServiceLifecycleStage.Active, OnActiveAsync, OnStopAsync);
    }

    private async Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _runtime.NodeId = new NodeId(_silo.SiloAddress.ToParsableString());
        _runtime.StartTaskChannel(_silo.SiloAddress.Endpoint.Address);
        _runtime.JoinCluster();
        await _runtime.Cluster.Refresh.RefreshAsync().ConfigureAwait(false);
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        // The node and job tables are going away with the silo (or this node is leaving): stop asking them.
        _runtime.StopWatchingEndedJobs();
        _runtime.StopTaskChannel();
        await _runtime.Cluster.Refresh.StopAsync().ConfigureAwait(false);
    }
}
