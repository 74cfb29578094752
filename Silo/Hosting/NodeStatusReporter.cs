using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Node;
using OrleansRay.Placement;

namespace OrleansRay.Silo.Hosting;

/// <summary>Marks this node dead in the node table when it stops, so `status` and the dashboard show a clean stop at
/// once instead of waiting for membership. (The node's live row is reported by its runtime's cluster view, every
/// ClusterScheduler.RefreshPeriod.)</summary>
internal sealed partial class NodeStatusReporter : ILifecycleParticipant<ISiloLifecycle>, IHostedService
{
    private readonly NodeRuntime _runtime;
    private readonly IGrainFactory _grainFactory;
    private readonly ILogger<NodeStatusReporter> _logger;

    public NodeStatusReporter(NodeRuntime runtime, IGrainFactory grainFactory, ILogger<NodeStatusReporter> logger)
    {
        _runtime = runtime;
        _grainFactory = grainFactory;
        _logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(NodeStatusReporter), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, StopAsync);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Marks the node dead in the table.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Best effort: the table may live on this node and be deactivating already; membership tells the rest.
            await _grainFactory.GetGrain<INodeTableGrain>(0).MarkDeadAsync(_runtime.NodeId).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogMarkDeadFailed(ex.GetType().Name, ex.Message);
        }
    }
}
