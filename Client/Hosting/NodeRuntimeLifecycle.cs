using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansRay.Node;

namespace OrleansRay.Hosting;

/// <summary>Binds the node runtime to its silo: names the node and joins the cluster once the silo is up, and stops
/// watching the cluster (and removes the jobs' working dirs it unpacked) when the silo stops.</summary>
internal sealed partial class NodeRuntimeLifecycle : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly NodeRuntime _runtime;
    private readonly ILocalSiloDetails _silo;
    private readonly ILogger<NodeRuntimeLifecycle> _logger;
    private readonly IServiceProvider _services;

    public NodeRuntimeLifecycle(NodeRuntime runtime, ILocalSiloDetails silo, ILogger<NodeRuntimeLifecycle> logger, IServiceProvider services)
    {
        _runtime = runtime;
        _silo = silo;
        _logger = logger;
        _services = services;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(NodeRuntimeLifecycle), ServiceLifecycleStage.Active, OnActiveAsync, OnStopAsync);
    }

    private async Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _runtime.NodeId = new NodeId(_silo.SiloAddress.ToParsableString());
        WarnWhenDriversCannotConnect();
        _runtime.StartTaskChannel(_silo.SiloAddress.Endpoint.Address);
        _runtime.JoinCluster();
        await _runtime.Cluster.Refresh.RefreshAsync().ConfigureAwait(false);
        // Only a control store that outlives its head (PostgreSQL) has packages to resume collecting: in the head's memory
        // there are none, and an embedded driver disposed right after its start would only meet its own shutdown.
        if (_services.GetKeyedService<Orleans.Storage.IGrainStorage>(ControlStore.ControlStoreStorage.Name) is not ControlStore.HeadMemoryGrainStorage)
        {
            _ = WakeCodePackageReferencesAsync();
        }
    }

    /// <summary>Activates the head's code package references, so a head restarted on PostgreSQL resumes collecting the
    /// packages it watched before anyone ships code again. Not awaited: the node's start does not wait for the head.</summary>
    private async Task WakeCodePackageReferencesAsync()
    {
        try
        {
            await _runtime.GrainFactory.GetGrain<Grains.ICodePackageReferencesGrain>(0).WakeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWakeFailed(_logger, ex.GetType().Name, ex.Message); // the next driver's reference activates it
        }
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        // The node and job tables are going away with the silo (or this node is leaving): stop asking them.
        _runtime.StopWatchingEndedJobs();
        _runtime.StopTaskChannel();
        await _runtime.Cluster.Refresh.StopAsync().ConfigureAwait(false);
        // Jobs' working dirs are copies the node made for the job code it ran: they go with the node.
        _runtime.Code?.RemoveWorkingDirs();
    }

    /// <summary>Connected drivers and the <c>orleansray</c> CLI connect as Orleans clients of the cluster named
    /// <see cref="ConnectedCluster.ClusterId"/> (service and cluster id); an application's silo hosted under other ids
    /// (<c>UseLocalhostClustering()</c> gives "dev") runs its own driver and tasks but refuses theirs, which only see a
    /// time-out. Said once at start, where the application's operator reads it; not by an embedded node (a cluster of
    /// its own for its one driver) nor a CLI node (which uses those ids).</summary>
    private void WarnWhenDriversCannotConnect()
    {
        if (!_runtime.Options.StartedAsHead
            && _services.GetService<Microsoft.Extensions.Options.IOptions<Orleans.Configuration.ClusterOptions>>()?.Value is { } cluster
            && (cluster.ClusterId != ConnectedCluster.ClusterId || cluster.ServiceId != ConnectedCluster.ClusterId))
        {
            LogForeignClusterIds(_logger, cluster.ServiceId, cluster.ClusterId, ConnectedCluster.ClusterId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "This silo's Orleans ServiceId is '{ServiceId}' and ClusterId '{ClusterId}': connected drivers (RayOptions.Address) and the orleansray CLI connect to a cluster whose both ids are '{Expected}', so they cannot reach it (they time out). To let them, configure silo.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (\"{Expected}\", \"{Expected}\")); the host's own IRay works either way")]
    private static partial void LogForeignClusterIds(ILogger logger, string serviceId, string clusterId, string expected);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Waking the head's code package references failed ({ErrorType}: {Reason}); the next driver that ships code wakes them")]
    private static partial void LogWakeFailed(ILogger logger, string errorType, string reason);
}
