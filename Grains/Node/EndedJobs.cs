using Microsoft.Extensions.Logging;
using OrleansRay.Code;
using OrleansRay.Grains;
using OrleansRay.Scheduling;

namespace OrleansRay.Node;

/// <summary>What a node does when jobs end (a driver disposed, its process gone, or <c>job stop</c>): every
/// <see cref="Interval"/>, while it has job code loaded, hosts actors or holds tasks, it reads the job table, ends the
/// tasks here of jobs that ended (queued ones fail without starting, running ones are cancelled by force: their token
/// fires and their resources come back at once; later ones are refused: Ray cancels an exited driver's tasks and kills
/// its workers), kills the non-detached actors here whose job ended without killing them (its driver crashed or was
/// stopped: Ray's actors share their owner's fate), and retires the code packages no running job uses, once they host
/// no actor (detached actors keep their job's code) and ran nothing lately. It also frees the objects in this node's
/// store that the jobs' drivers owned: what they put here, and their tasks' large results (<see cref="Ownership.DriverObjects"/>).</summary>
/// <remarks>A job is known by its driver's worker id, which every task of it carries (<see cref="TaskSpec.JobDriver"/>;
/// a task submitted by a task or by a non-detached actor carries its parent's, as does an actor they create). Work of
/// detached actors carries none and is never ended here. The job table learns that a job ended from its driver's dispose, its crash handler, <c>job
/// stop</c>, or after its driver stopped reporting for 15 s (a process killed or gone through
/// <see cref="Environment.Exit"/>).</remarks>
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
                if (_packages is not { Contexts: > 0 } && _runtime.ActorServices.HostedActors.Count == 0 && !HoldsTasks
                    && _runtime.Values.DriverObjects.DriverCount == 0)
                {
                    continue;
                }

                try
                {
                    var jobs = await _runtime.GrainFactory.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(TimeSpan.FromSeconds(10), stopping).ConfigureAwait(false);
                    JobIds.Learn(jobs);
                    var ended = EndedDrivers(jobs);
                    _runtime.TaskOutput.Forget(ended.Select(DriverId));
                    EndTasks(ended);
                    FreeDriverObjects(ended);
                    await KillOrphanedActorsAsync(ended).ConfigureAwait(false);
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

    /// <summary>True while tasks run or wait here: tasks other owners sent, or tasks this node owns (nested ones).</summary>
    private bool HoldsTasks => _runtime.Foreign.HasTasks || _runtime.Scheduler.Counts.OwnedInFlight > 0;

    /// <summary>The drivers (worker ids as text) of the connected jobs that ended; an embedded job ends with its process.</summary>
    private static HashSet<string> EndedDrivers(IReadOnlyList<JobInfo> jobs) =>
        jobs.Where(j => j.State is JobState.Succeeded or JobState.Failed or JobState.Stopped && j.Driver.Length > 0 && !j.Embedded)
            .Select(j => j.Driver)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Ends the tasks here of the jobs that ended since the last look: the queued ones fail without starting,
    /// then the running ones are cancelled by force (their owner hears it at once); from now on the scheduler refuses
    /// the jobs' tasks.</summary>
    /// <remarks>The tasks this node owns that run on other nodes are left to those nodes, which end them the same way and
    /// tell this one: cancelled from here one by one, each running one would free its CPU while the node still had the
    /// job's queued tasks, and one of those would start.</remarks>
    private void EndTasks(HashSet<string> drivers)
    {
        var scheduler = _runtime.Scheduler;
        var ended = scheduler.FinishedJobs.Add(drivers.Select(DriverId));
        if (ended.Count == 0)
        {
            return;
        }

        var (queued, running) = scheduler.FinishedJobs.Take(ended);
        foreach (var spec in queued)
        {
            _runtime.Attempts.Refuse(spec, FinishedJobs.TaskError(spec));
        }

        foreach (var spec in running)
        {
            if (spec.IsForeign)
            {
                _runtime.Foreign.Fail(spec, FinishedJobs.TaskError(spec));
            }
            else
            {
                spec.Cancel(force: true, FinishedJobs.TaskError(spec));
            }
        }

        if (queued.Count + running.Count > 0)
        {
            LogEndedTasks(_logger, ended.Count, queued.Count, running.Count);
        }
    }

    /// <summary>Deletes from this node's store the objects that drivers of ended jobs owned there and never freed (their
    /// puts, their tasks' large results; the driver was killed, or its frees did not reach this node): Ray frees the
    /// objects of an owner that died. Every ended job is looked at each time: a result stored after its job ended (its
    /// task finished meanwhile) goes at the next tick.</summary>
    private void FreeDriverObjects(HashSet<string> drivers)
    {
        if (drivers.Count == 0 || _runtime.Values.DriverObjects.DriverCount == 0)
        {
            return;
        }

        var freed = _runtime.Values.DriverObjects.Free(drivers.Select(DriverId), _runtime.Store);
        if (freed > 0)
        {
            LogFreedDriverObjects(_logger, freed);
        }
    }

    /// <summary>A job table driver as a worker id (empty, never matched, should a row hold anything else).</summary>
    private static WorkerId DriverId(string driver)
    {
        try
        {
            return WorkerId.Parse(driver);
        }
        catch (FormatException)
        {
            return default;
        }
    }

    /// <summary>Kills the actors here of jobs that ended while their driver could not kill them itself.</summary>
    private async Task KillOrphanedActorsAsync(HashSet<string> ended)
    {
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

    [LoggerMessage(Level = LogLevel.Information, Message = "{Jobs} job(s) ended: dropped {Queued} of their queued tasks here and cancelled {Running} running")]
    private static partial void LogEndedTasks(ILogger logger, int jobs, int queued, int running);

    [LoggerMessage(Level = LogLevel.Information, Message = "Freed {Objects} object(s) in this node's store that drivers of ended jobs owned (their puts, their tasks' large results)")]
    private static partial void LogFreedDriverObjects(ILogger logger, int objects);

    [LoggerMessage(Level = LogLevel.Information, Message = "Killing actor {ActorId}: its job ended without it")]
    private static partial void LogKillingOrphan(ILogger logger, ActorId actorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing actor {ActorId} of an ended job failed: {Reason}; trying again")]
    private static partial void LogKillFailed(ILogger logger, ActorId actorId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ended jobs: the job table could not be read: {Reason}")]
    private static partial void LogJobTableUnreachable(ILogger logger, string reason);
}
