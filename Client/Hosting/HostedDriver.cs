using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using OrleansRay.Node;
using OrleansRay.Transport;

namespace OrleansRay.Hosting;

/// <summary>The application's driver on a node hosted with <c>UseOrleansRay</c>: the <see cref="IRay"/> its services
/// resolve. Like the driver of <c>Ray.InitAsync()</c>, it is a job of the cluster (Ray's: a driver's tasks, actors and
/// objects): the job starts once the driver is first asked for and the silo is active, and ends when the silo stops,
/// before the node does: its non-detached actors die and its row in the job table is closed.</summary>
/// <remarks>Made on first use only, so a host that never asks for an <see cref="IRay"/> runs no job: the embedded node
/// of <c>Ray.InitAsync()</c> (which makes its own driver) and an <c>orleansray</c> node are hosted the same way and
/// behave as before.</remarks>
internal sealed partial class HostedDriver : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly NodeRuntime _runtime;
    private readonly string _namespace;
    private readonly ILogger<HostedDriver> _logger;
    private readonly object _gate = new();
    private RayDriver? _driver;
    private Task? _jobStarted;
    private bool _active;

    public HostedDriver(NodeRuntime runtime, IOptions<RayNodeOptions> options, ILogger<HostedDriver> logger)
    {
        _runtime = runtime;
        _namespace = options.Value.Namespace;
        _logger = logger;
    }

    /// <summary>The driver, made on the first call; its job starts now if the silo is active, else when it becomes so.</summary>
    public IRay Driver
    {
        get
        {
            lock (_gate)
            {
                if (_driver is null)
                {
                    _driver = new RayDriver(_runtime, _namespace, cluster: null);
                    if (_active)
                    {
                        _jobStarted = _driver.StartJobAsync(embedded: true);
                    }
                }

                return _driver;
            }
        }
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // Last: the node runtime has joined the cluster (stage Active) before the job starts, and on the way down the
        // job ends first, while the silo can still reach the job table and the actors.
        lifecycle.Subscribe(nameof(HostedDriver), ServiceLifecycleStage.Last, OnStartAsync, OnStopAsync);
    }

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _active = true;
            if (_driver is not null)
            {
                _jobStarted ??= _driver.StartJobAsync(embedded: true);
            }

            return _jobStarted ?? Task.CompletedTask;
        }
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        RayDriver? driver;
        Task? jobStarted;
        lock (_gate)
        {
            _active = false;
            driver = _driver;
            jobStarted = _jobStarted;
        }

        if (driver is null)
        {
            return;
        }

        try
        {
            if (jobStarted is not null)
            {
                await jobStarted.ConfigureAwait(false);
            }

            // Ends the job: kills its non-detached actors, closes its row. Disposing it again (the container does, with
            // the host) does nothing.
            await driver.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The node stops next and its actors with it; a job that could not be closed must not keep the silo up.
            LogJobEndFailed(_logger, driver.JobId, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The application's job {JobId} could not be ended cleanly as the node stopped")]
    private static partial void LogJobEndFailed(ILogger logger, string jobId, Exception exception);
}
