using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Runtime;

namespace OrleansRay.Silo.Hosting;

/// <summary>Reports this node's live row (resources, available, demands) to the node table every second, so
/// <c>orleansray status</c> and other nodes see current usage; marks the node dead in the table when it stops.</summary>
/// <remarks>Runs one stage after <c>Active</c>, when the runtime has its node id. Reports never overlap: the loop
/// awaits each call before waiting for the next tick.</remarks>
internal sealed partial class NodeStatusReporter : ILifecycleParticipant<ISiloLifecycle>, IHostedService
{
    /// <summary>How often the row is refreshed: status is read by people, once a second is fresh enough.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly NodeRuntime _runtime;
    private readonly IGrainFactory _grainFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<NodeStatusReporter> _logger;
    private CancellationTokenSource? _stopping;
    private Task _loop = Task.CompletedTask;

    public NodeStatusReporter(NodeRuntime runtime, IGrainFactory grainFactory, TimeProvider timeProvider, ILogger<NodeStatusReporter> logger)
    {
        _runtime = runtime;
        _grainFactory = grainFactory;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(NodeStatusReporter), ServiceLifecycleStage.Active + 1, OnStartAsync, OnStopAsync);
    }

    /// <summary>Starts reporting outside a silo lifecycle (an embedded node serving the dashboard); stop with <see cref="StopAsync"/>.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => OnStartAsync(cancellationToken);

    /// <summary>Stops reporting and marks the node dead in the table.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => OnStopAsync(cancellationToken);

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => ReportLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
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

    private async Task ReportLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Period, _timeProvider);
        var failing = false;
        do
        {
            try
            {
                await _grainFactory.GetGrain<INodeTableGrain>(0).ReportAsync(ClusterView.LocalStatus(_runtime)).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (failing)
                {
                    LogReportRecovered();
                    failing = false;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A table mid-move (its node died) fails a few reports; log the first of a run, keep trying.
                if (!failing)
                {
                    LogReportFailed(ex.GetType().Name, ex.Message);
                    failing = true;
                }
            }
        }
        while (await WaitForTickAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitForTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
