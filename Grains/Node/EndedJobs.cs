using Microsoft.Extensions.Logging;
using OrleansRay.Code;
using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>What a node does when jobs end (a driver disposed, its process gone, or <c>job stop</c>): every
/// <see cref="Interval"/>, while it has job code loaded or hosts actors, it reads the job table, kills the non-detached
/// actors here whose job ended without killing them (its driver crashed or was stopped: Ray's actors share their
/// owner's fate), and retires the code packages no running job uses, once they host no actor (detached actors keep
/// their job's code) and ran nothing lately.</summary>
internal sealed partial class EndedJobs : IDisposable
{
    /// <summary>How often the node looks for ended jobs' code.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CodePackages? _packages;
    private readonly NodeRuntime _runtime;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _killed = new(StringComparer.Ordinal);

    public EndedJobs(NodeRuntime runtime, ILogger logger)
    {
        _runtime = runtime;
        _packages = runtime.Code;
        _logger = logger;
    }

    /// <summary>Starts the loop (once the node is in the cluster).</summary>
    public void Start() => _ = RunAsync();

    private async Task RunAsync()
    {
        var stopping = _stop.Token; // read once: Dispose disposes the source
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (_packages is not { Contexts: > 0 } && _runtime.ActorServices.HostedActors.Count == 0)
                {
                    continue;
                }

                try
                {
                    var jobs = await _runtime.GrainFactory.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(TimeSpan.FromSeconds(10), stopping).ConfigureAwait(false);
                    await KillOrphanedActorsAsync(jobs).ConfigureAwait(false);
                    var live = jobs.Where(j => j.State is JobState.Running or JobState.Pending && j.Code.Length > 0)
                        .Select(j => j.Code)
                        .ToHashSet(StringComparer.Ordinal);
                    _packages?.Retire(live);
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

    /// <summary>Kills the actors here of jobs that ended while their driver could not kill them itself.</summary>
    private async Task KillOrphanedActorsAsync(IReadOnlyList<JobInfo> jobs)
    {
        var ended = jobs.Where(j => j.State is JobState.Succeeded or JobState.Failed or JobState.Stopped && j.Driver.Length > 0 && !j.Embedded)
            .Select(j => j.Driver)
            .ToHashSet(StringComparer.Ordinal);
        var orphans = ended.Count == 0 ? [] : _runtime.ActorServices.HostedActors.OwnedBy(ended);
        _killed.IntersectWith(orphans.Select(a => a.ToString())); // forget the ones that are dead now
        foreach (var actor in orphans)
        {
            if (!_killed.Add(actor.ToString()))
            {
                continue; // asked once already; its death is on its way
            }

            LogKillingOrphan(_logger, actor);
            try
            {
                await _runtime.Actors.KillAsync(actor, noRestart: true, "its driver's job ended without it (the driver exited, was killed or stopped)").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _killed.Remove(actor.ToString()); // try again at the next tick
                LogKillFailed(_logger, actor, ex.Message);
            }
        }
    }

    /// <summary>Stops the loop; a second call does nothing (the silo's stop and the node's disposal both call it).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _stop.Dispose();
    }

    private int _disposed;

    [LoggerMessage(Level = LogLevel.Information, Message = "Killing actor {ActorId}: its job ended without it")]
    private static partial void LogKillingOrphan(ILogger logger, ActorId actorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing actor {ActorId} of an ended job failed: {Reason}; trying again")]
    private static partial void LogKillFailed(ILogger logger, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ended jobs: the job table could not be read: {Reason}")]
    private static partial void LogJobTableUnreachable(ILogger logger, string reason);
}
