using Microsoft.Extensions.Logging;
using OrleansRay.Code;
using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>Unloads job code a node no longer needs: every <see cref="Interval"/>, while the node has job code loaded,
/// it reads the job table and retires the packages of jobs that ended (a driver disposed, its process gone, or
/// <c>job stop</c>), once they host no actor (detached actors keep their job's code) and ran nothing lately.</summary>
internal sealed partial class JobCodeRetirement : IDisposable
{
    /// <summary>How often the node looks for ended jobs' code.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CodePackages _packages;
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();

    public JobCodeRetirement(CodePackages packages, IGrainFactory grains, ILogger logger)
    {
        _packages = packages;
        _grains = grains;
        _logger = logger;
    }

    /// <summary>Starts the loop (once the node is in the cluster).</summary>
    public void Start() => _ = RunAsync();

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_packages.Contexts == 0)
                {
                    continue;
                }

                try
                {
                    var jobs = await _grains.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(TimeSpan.FromSeconds(10), _stop.Token).ConfigureAwait(false);
                    var live = jobs.Where(j => j.State is JobState.Running or JobState.Pending && j.Code.Length > 0)
                        .Select(j => j.Code)
                        .ToHashSet(StringComparer.Ordinal);
                    _packages.Retire(live);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    // The head is away (restarting): keep everything loaded and ask again at the next tick.
                    LogJobTableUnreachable(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node stopped.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job code retirement could not read the job table: {Reason}")]
    private static partial void LogJobTableUnreachable(ILogger logger, string reason);
}
