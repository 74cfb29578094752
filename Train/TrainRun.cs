using System.Globalization;
using OrleansRay.Train.Wire;

namespace OrleansRay.Train;

/// <summary>One <c>FitAsync</c>: the driver's side of a run (Ray Train's <c>TrainController</c> loop, kept in the driver;
/// see ADR 0017): reserve the placement group, start each attempt's group, follow it, restart it from the latest
/// checkpoint while the failure budget lasts, and clean up.</summary>
internal sealed class TrainRun
{
    /// <summary>How often the driver reads new reports from the coordinator while the loops run.</summary>
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the driver keeps asking a coordinator that does not answer (and is not known dead) for the
    /// reports made before a loop ended.</summary>
    private static readonly TimeSpan AnswerBudget = TimeSpan.FromSeconds(60);

    /// <summary>How long, after a first loop failed, the driver waits for the failure that caused it (a peer of a dead
    /// worker fails its collective first, then the dead worker's own call fails).</summary>
    private static readonly TimeSpan RootCauseGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long, after a loop returned, the driver lets its peers still running finish their collectives before
    /// it ends the attempt's collective group (a collective a rank left can never complete).</summary>
    private static readonly TimeSpan EarlyReturnGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long the driver waits for a started worker to take its setup.</summary>
    private static readonly TimeSpan ConfigureTimeout = TimeSpan.FromSeconds(60);

    private readonly IRay _ray;
    private readonly Func<ActorHandle<TrainContext>, ObjectRef<Unit>> _startLoop;
    private readonly ScalingConfig _scaling;
    private readonly RunConfig _runConfig;
    private readonly IReadOnlyDictionary<string, TrainDataset> _datasets;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];

    public TrainRun(IRay ray, Func<ActorHandle<TrainContext>, ObjectRef<Unit>> startLoop, ScalingConfig scaling, RunConfig runConfig, IReadOnlyDictionary<string, TrainDataset> datasets)
    {
        _ray = ray;
        _startLoop = startLoop;
        _scaling = scaling;
        _runConfig = runConfig;
        _datasets = datasets;
    }

    public async Task<TrainResult> RunAsync(CancellationToken cancellationToken)
    {
        var name = _runConfig.Name ?? string.Create(CultureInfo.InvariantCulture, $"DataParallelTrainer_{DateTime.UtcNow:yyyyMMdd_HHmmss}_{_runId[..6]}");
        var run = new RunState(name, CheckpointStore.CreateRunFolder(_runConfig.StoragePath, name), _runConfig.CheckpointConfig.NumToKeep);
        using var held = RunLog.Hold(run.Path, name); // one run of a name at a time
        var earlier = RunLog.Open(run.Path);
        if (earlier.Count > 0)
        {
            run.Resume(earlier);
            var logged = earlier.Count(r => r.Checkpoint is not null);
            var missing = logged - run.Kept.Count;
            var from = run.LatestCheckpoint ?? (logged == 0 ? "the beginning (none of them kept a checkpoint)" : "the beginning");
            Publish(new TrainProgress(TrainProgressKind.Resuming, 0, string.Create(CultureInfo.InvariantCulture,
                $"Resuming run '{name}' after its {earlier.Count} earlier report(s) in {run.Path}, from {from}{(missing > 0 ? $" ({missing} of their {logged} checkpoint folder(s) are missing)" : string.Empty)}; new reports are numbered from {earlier.Count + 1}. Give a new RunConfig.Name to start afresh.")));
        }

        var shards = new Dictionary<string, ObjectRef>[_scaling.NumWorkers];
        try
        {
            return await RunAsync(run, shards, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Every shard put so far, also when a put or the placement group's creation failed.
            foreach (var shard in shards.Where(s => s is not null).SelectMany(s => s.Values))
            {
                shard.Dispose();
            }
        }
    }

    private async Task<TrainResult> RunAsync(RunState run, Dictionary<string, ObjectRef>[] shards, CancellationToken cancellationToken)
    {
        var name = run.Name;
        for (var rank = 0; rank < shards.Length; rank++)
        {
            shards[rank] = new Dictionary<string, ObjectRef>(StringComparer.Ordinal);
            foreach (var (datasetName, dataset) in _datasets)
            {
                shards[rank][datasetName] = await dataset.PutShardAsync(_ray, rank, shards.Length).ConfigureAwait(false);
            }
        }

        var bundle = _scaling.WorkerBundle();
        var group = await _ray.CreatePlacementGroupAsync(
            Enumerable.Range(0, _scaling.NumWorkers).Select(_ => ToBundle(bundle)), _scaling.PlacementStrategy, $"train-{name}").ConfigureAwait(false);
        var attempt = 0;
        try
        {
            for (; ; attempt++)
            {
                await PlacementWait.WaitAsync(_ray, group, _scaling, attempt, Publish, cancellationToken).ConfigureAwait(false);
                CheckpointStore.DeleteAllBut(run.Path, run.Kept.Select(k => k.Checkpoint!)); // a failed attempt's, or an earlier run's uncompleted one
                var failure = await RunAttemptAsync(run, group, bundle, attempt, shards, cancellationToken).ConfigureAwait(false);
                if (failure is null)
                {
                    Publish(new TrainProgress(TrainProgressKind.Finished, attempt, $"Training finished in attempt {attempt} after {run.History.Count} report(s); results in {run.Path}."));
                    return Result(run, attempt + 1);
                }

                // Attempts are numbered from 0 everywhere a person or a program reads one (TrainContext.Attempt,
                // TrainProgress.Attempt, these messages); failures are counted from 1 against MaxFailures, as Ray's
                // failure policy counts them ("error count / maximum errors allowed").
                var maxFailures = _runConfig.FailureConfig.MaxFailures;
                var failures = attempt + 1;
                var cause = failure.Value.Message.TrimEnd('.'); // a cause that ends a sentence of its own goes mid-sentence here
                if (maxFailures != -1 && attempt >= maxFailures)
                {
                    var error = new TrainingFailedException(
                        string.Create(CultureInfo.InvariantCulture, $"Training failed in attempt {attempt}: {cause} (failure {failures}; FailureConfig.MaxFailures = {maxFailures} allows {maxFailures} restart(s)).{NoRestartHint(maxFailures)}"),
                        failure.Value.Rank, failures, failure.Value.Cause);
                    error.Result = Result(run, failures, error);
                    Publish(new TrainProgress(TrainProgressKind.Failed, attempt, error.Message));
                    throw error;
                }

                Publish(new TrainProgress(TrainProgressKind.Restarting, attempt, string.Create(CultureInfo.InvariantCulture,
                    $"Attempt {attempt} failed: {cause}; restarting the worker group as attempt {attempt + 1} from {run.LatestCheckpoint ?? "the beginning (no checkpoint yet)"} (failure {failures} of {(maxFailures == -1 ? "any number: FailureConfig.MaxFailures = -1" : $"at most {maxFailures}: FailureConfig.MaxFailures = {maxFailures}")}).")));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Publish(new TrainProgress(TrainProgressKind.Failed, attempt, "Training cancelled."));
            throw;
        }
        finally
        {
            CheckpointStore.DeleteAllBut(run.Path, run.Kept.Select(k => k.Checkpoint!)); // the last attempt's uncompleted ones
            try
            {
                await _ray.RemovePlacementGroupAsync(group).ConfigureAwait(false);
            }
            catch (Exception ex) when (CallFailureKinds.IsGone(ex))
            {
                // Its node is going away (the cluster or the driver is shutting down): the group goes with it. The run's
                // own outcome, thrown or returned, matters more than this cleanup's.
            }
        }
    }

    /// <summary>Runs one attempt; null when every loop returned, else the failure that ended it.</summary>
    private async Task<(int Rank, string Message, Exception Cause)?> RunAttemptAsync(
        RunState run, PlacementGroup placementGroup, IReadOnlyDictionary<string, double> bundle, int attempt, Dictionary<string, ObjectRef>[] shards, CancellationToken cancellationToken)
    {
        WorkerGroup group;
        try
        {
            group = await WorkerGroup.StartAsync(_ray, placementGroup, bundle, cancellationToken).ConfigureAwait(false);
        }
        catch (WorkerStartException ex)
        {
            return (-1, ex.Message, ex.InnerException!);
        }

        var groupId = $"train-{_runId}-{attempt}";
        try
        {
            var setups = new List<ObjectRef<bool>>();
            for (var rank = 0; rank < group.Workers.Length; rank++)
            {
                setups.Add(group.Workers[rank].Task((w, s) => w.Configure(s), group.SetupOf(rank, groupId, run, attempt, shards[rank])).Remote());
            }

            for (var rank = 0; rank < setups.Count; rank++)
            {
                try
                {
                    await _ray.GetAsync(setups[rank], ConfigureTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (CallFailureKinds.IsLost(ex))
                {
                    return (rank, $"the worker of rank {rank} (node {group.Nodes[rank]}) could not be set up: {ex.Message}", ex);
                }
            }

            var loops = group.Workers.Select(w => _startLoop(w)).ToList();
            Publish(new TrainProgress(TrainProgressKind.WorkersStarted, attempt,
                $"Started {group.Workers.Length} worker(s) on {group.Nodes.Distinct().Count()} node(s): " +
                string.Join(", ", group.Nodes.Select((n, r) => $"rank {r} on {n}")) + ".", WorkerNodes: group.Nodes));
            return await FollowAsync(run, group, groupId, loops, attempt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await group.KillAsync(_ray, groupId).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the loops, publishing reports as they complete, until all returned or one failed.</summary>
    private async Task<(int Rank, string Message, Exception Cause)?> FollowAsync(
        RunState run, WorkerGroup group, string groupId, List<ObjectRef<Unit>> loops, int attempt, CancellationToken cancellationToken)
    {
        var running = Enumerable.Range(0, loops.Count).ToList();
        DateTime? firstReturn = null;
        int? releasedFor = null;
        while (running.Count > 0)
        {
            var (ready, _) = await _ray.WaitAsync(running.Select(r => loops[r]), numReturns: 1, timeout: PollEvery, cancellationToken).ConfigureAwait(false);
            await PollAsync(run, group, attempt, untilAnswered: ready.Count > 0).ConfigureAwait(false);
            foreach (var done in ready)
            {
                var rank = loops.IndexOf(done);
                running.Remove(rank);
                if (await FailureOfAsync(done).ConfigureAwait(false) is { } cause)
                {
                    if (releasedFor is { } left && !IsRootCause(cause))
                    {
                        var message = $"rank {left} returned from its train loop while rank {rank} waited in a collective: every worker must call the same collectives";
                        return (left, message, new InvalidOperationException(message, cause));
                    }

                    return await RootCauseAsync(group, loops, running, (rank, cause)).ConfigureAwait(false);
                }

                firstReturn ??= DateTime.UtcNow;
            }

            if (releasedFor is null && firstReturn is { } returnedAt && running.Count > 0 && DateTime.UtcNow - returnedAt > EarlyReturnGrace)
            {
                // A rank left while its peers still run: after a grace, end the attempt's collectives, so a peer blocked
                // in one (waiting for the rank that left) fails instead of waiting forever. A peer still computing is
                // unaffected until it calls a collective, which could never complete anyway.
                releasedFor = Enumerable.Range(0, loops.Count).Except(running).First();
                await group.ReleaseAsync(_ray, groupId, running).ConfigureAwait(false);
            }

            if (running.Count > 0 && running.Count < loops.Count)
            {
                var (state, _) = await PollStateAsync(group).ConfigureAwait(false);
                if (state is { WaitingRanks.Length: > 0 } && running.All(r => state.WaitingRanks.Contains(r)))
                {
                    var returned = Enumerable.Range(0, loops.Count).Except(running).First();
                    var message = $"rank {returned} returned from its train loop while rank(s) {string.Join(", ", running)} wait in report {state.WaitingIteration}: every worker must call ReportAsync the same number of times";
                    return (returned, message, new InvalidOperationException(message));
                }
            }
        }

        return await FinalPollAsync(run, group, attempt).ConfigureAwait(false);
    }

    /// <summary>A failed loop's exception, or null when it returned.</summary>
    private async Task<Exception?> FailureOfAsync(ObjectRef<Unit> loop)
    {
        try
        {
            await _ray.GetAsync(loop).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !CallFailureKinds.IsShutDown(ex))
        {
            // The loop's failure, whatever its type (a RayException almost always; an Orleans exception when the
            // worker's node is leaving as it is read): it ends the attempt. Not the driver's own shutdown: the loop
            // died with the driver's job, no rank is to blame, and the run ends with that ObjectDisposedException.
            return ex;
        }
    }

    /// <summary>After a first failure: the failure of the worker that caused it. A peer of a dead or throwing rank may
    /// fail first (its collective aborted, or the actor call to the dead peer failed); the cause is a rank whose own
    /// actor died or whose loop threw something else.</summary>
    private async Task<(int Rank, string Message, Exception Cause)> RootCauseAsync(
        WorkerGroup group, List<ObjectRef<Unit>> loops, List<int> running, (int Rank, Exception Cause) first)
    {
        var failures = new List<(int Rank, Exception Cause)> { first };
        var deadline = DateTime.UtcNow + RootCauseGrace;
        while (!IsRootCause(failures[^1].Cause) && running.Count > 0 && DateTime.UtcNow < deadline)
        {
            var (ready, _) = await _ray.WaitAsync(running.Select(r => loops[r]), numReturns: 1, timeout: Remaining(deadline)).ConfigureAwait(false);
            foreach (var done in ready)
            {
                var rank = loops.IndexOf(done);
                running.Remove(rank);
                if (await FailureOfAsync(done).ConfigureAwait(false) is { } cause)
                {
                    failures.Add((rank, cause));
                }
            }
        }

        if (failures.FirstOrDefault(f => IsRootCause(f.Cause)) is { Cause: not null } root)
        {
            var (failedRank, exception) = root;
            var what = exception switch
            {
                // Lost with its node: the runtime's advice on MaxTaskRetries and MaxRestarts is not the user's to follow
                // (Train creates its workers and restarts the group itself, by FailureConfig.MaxFailures).
                ActorDiedException when exception.Message.Contains(" died while this call ", StringComparison.Ordinal) =>
                    $"the worker of rank {failedRank} (node {group.Nodes[failedRank]}) died with its node, which left the cluster while the loop ran there",
                ActorDiedException => $"the worker of rank {failedRank} (node {group.Nodes[failedRank]}) died: {exception.Message}",
                RayTaskException task => $"the train loop of rank {failedRank} (node {group.Nodes[failedRank]}) threw {task.OriginalExceptionType}: {task.OriginalMessage}",
                _ => $"rank {failedRank} (node {group.Nodes[failedRank]}) failed: {exception.Message}",
            };
            return (failedRank, what, exception);
        }

        if (failures.FirstOrDefault(f => Is(f.Cause, nameof(CoordinatorLostException))) is { Cause: RayTaskException lost })
        {
            // Every loop lost the coordinator together: no rank is to blame.
            return (-1, $"the run's coordinator died: {lost.OriginalMessage}", lost);
        }

        var (firstRank, first0) = failures[0];
        return (firstRank, $"rank {firstRank} (node {group.Nodes[firstRank]}) failed: {(first0 is RayTaskException t ? $"{t.OriginalExceptionType}: {t.OriginalMessage}" : first0.Message)}", first0);
    }

    /// <summary>Whether a loop's failure is its own: its actor died (a dead PEER or coordinator surfaces as a
    /// <c>CollectiveAbortedException</c> or <see cref="CoordinatorLostException"/> instead), or the loop threw
    /// something other than an aborted collective, a lost coordinator or a cancellation.</summary>
    private static bool IsRootCause(Exception exception) =>
        exception is ActorDiedException
        || (exception is RayTaskException task && !Is(task, "CollectiveAborted") && !Is(task, nameof(CoordinatorLostException))
            && !Is(task, "OperationCanceled") && !Is(task, "TaskCanceled") && !Is(task, "ActorDied"));

    private static bool Is(Exception exception, string typeName) =>
        exception is RayTaskException task && task.OriginalExceptionType.Contains(typeName, StringComparison.Ordinal);

    /// <summary>After every loop returned: the last reports. The attempt fails (naming no rank) when the coordinator
    /// cannot give them, rather than the run succeeding with reports or its latest checkpoint missing.</summary>
    private async Task<(int Rank, string Message, Exception Cause)?> FinalPollAsync(RunState run, WorkerGroup group, int attempt)
    {
        if (await PollAsync(run, group, attempt, untilAnswered: true).ConfigureAwait(false) is { } lost)
        {
            return (-1, $"every train loop returned, but the run's coordinator could not give the final reports: {lost.Message}", lost);
        }

        return null;
    }

    /// <summary>Reads the reports completed since the last poll, publishes them and deletes the checkpoints they made
    /// obsolete (past <c>NumToKeep</c>). Returns null, or why the coordinator did not answer. With
    /// <c>untilAnswered</c> it asks again until the coordinator answers, is known dead or <see cref="AnswerBudget"/> is
    /// spent (after a loop ended: the reports made just before it must not be lost); otherwise it tries once (the
    /// periodic poll: the next one catches up).</summary>
    private async Task<Exception?> PollAsync(RunState run, WorkerGroup group, int attempt, bool untilAnswered = false)
    {
        var (state, error) = await PollStateAsync(group, run.History.Count + 1).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + AnswerBudget;
        while (state is null && untilAnswered && error is not ActorDiedException && DateTime.UtcNow < deadline)
        {
            await Task.Delay(PollEvery).ConfigureAwait(false);
            (state, error) = await PollStateAsync(group, run.History.Count + 1).ConfigureAwait(false);
        }

        if (state is null)
        {
            return error;
        }

        var added = run.Add(state.Reports, out var dropped);
        LogReports(run); // before the prune: a crash between the two leaves an extra folder, never a gap
        CheckpointStore.Prune(dropped);
        foreach (var report in added)
        {
            var metrics = RunState.MetricsOf(report);
            var line = string.Join(", ", report.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value:G6}")));
            Publish(new TrainProgress(TrainProgressKind.Reported, attempt,
                $"Report {report.Iteration}: {line}{(report.Checkpoint is null ? string.Empty : $" (checkpoint {Path.GetFileName(report.Checkpoint)})")}",
                report.Iteration, metrics));
        }

        return null;
    }

    /// <summary>The coordinator's state, or null and why it could not answer (an <see cref="ActorDiedException"/>: it
    /// died with its node; otherwise it may answer a later call).</summary>
    private async Task<(CoordinatorState? State, Exception? Error)> PollStateAsync(WorkerGroup group, int fromIteration = int.MaxValue)
    {
        try
        {
            return (await _ray.GetAsync(group.Coordinator.Task((c, from) => c.Poll(from), fromIteration).Remote(), TimeSpan.FromSeconds(10)).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (CallFailureKinds.IsLost(ex))
        {
            return (null, ex);
        }
    }

    /// <summary>Appends the reports not logged yet to the run's log. A log that cannot be written now (shared storage
    /// briefly away) does not end the run: it says so and the next poll writes what is missing.</summary>
    private void LogReports(RunState run)
    {
        if (run.Logged == run.History.Count)
        {
            return;
        }

        try
        {
            RunLog.Append(run.Path, run.History.GetRange(run.Logged, run.History.Count - run.Logged));
            run.Logged = run.History.Count;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_runConfig.Verbose)
            {
                Console.Error.WriteLine($"[train] Could not log reports {run.Logged + 1}..{run.History.Count} in {Path.Combine(run.Path, RunLog.FileName)} ({ex.Message}); trying again at the next report. A run resumed by name later starts after the last report logged.");
            }
        }
    }

    private static TrainResult Result(RunState run, int attempts, TrainingFailedException? error = null)
    {
        var last = run.History.Count == 0 ? new Dictionary<string, double>() : RunState.MetricsOf(run.History[^1]);
        var kept = run.Kept.Select(k => (Checkpoint.Persisted(k.Checkpoint!), RunState.MetricsOf(k))).ToList();
        return new TrainResult(last, run.History.Select(RunState.MetricsOf).ToList(), run.LatestCheckpoint is { } latest ? Checkpoint.Persisted(latest) : null,
            kept, error, run.Path, attempts);
    }

    private void Publish(TrainProgress progress)
    {
        if (_runConfig.Verbose)
        {
            Console.WriteLine($"[train] {progress.Message}");
        }

        _runConfig.Progress?.Report(progress);
    }

    /// <summary>For a run that allowed no restart: how to allow some (Ray's <c>TrainingFailedError</c> says the same).</summary>
    private static string NoRestartHint(int maxFailures) =>
        maxFailures == 0 ? " Set RunConfig.FailureConfig.MaxFailures above 0 (or -1: no limit) to restart from the latest checkpoint after a failure." : string.Empty;

    /// <summary>The time left to <paramref name="deadline"/>, never negative (-1 ms would mean "no timeout").</summary>
    private static TimeSpan Remaining(DateTime deadline) => TimeSpan.FromTicks(Math.Max(0, (deadline - DateTime.UtcNow).Ticks));

    private static Bundle ToBundle(IReadOnlyDictionary<string, double> resources)
    {
        var bundle = new Bundle();
        foreach (var (name, amount) in resources)
        {
            bundle[name] = amount;
        }

        return bundle;
    }
}
