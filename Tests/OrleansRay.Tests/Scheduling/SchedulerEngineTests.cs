using System.Collections.Concurrent;
using System.Threading.Channels;
using OrleansRay.Execution;
using OrleansRay.Ownership;
using OrleansRay.Scheduling;
using Xunit;

namespace OrleansRay.Tests.Scheduling;

/// <summary>The scheduler engine on its own, with fake ports (no silo, no node runtime): argument readiness, resource
/// bounds, spillback, infeasible demands, placement-group bundles, cancellation and how leases start.</summary>
/// <remarks>Leases are granted synchronously inside Submit, so counts read right after it are exact; tasks are held
/// by gates in the fake runner and released one by one. Every wait has a deadline.</remarks>
public sealed class SchedulerEngineTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ResourceSet OneCpu = Cpus(1);
    /// <summary>Set by a submitting test; a lease's tasks must not see it.</summary>
    private static readonly AsyncLocal<string?> SubmitterMarker = new();
    private static readonly CompiledFunction Function = FunctionRegistry.ForDelegate((Func<int>)(() => 0), "test task");

    private readonly WorkerPool _pool = new("scheduler-engine-tests", minThreads: 1, maxThreads: 8);
    private readonly GatedRunner _runner = new();
    private readonly FakeArguments _arguments = new();
    private readonly FakePlacer _placer = new();
    private readonly List<SchedulerEngine> _engines = new();

    [Fact]
    public async Task A_task_whose_argument_is_pending_is_queued_only_when_the_argument_completes()
    {
        var engine = NewEngine(Cpus(1));
        var ready = _arguments.Add();
        ready.TrySetInlineValue(1);
        var pending = _arguments.Add();
        var task = Spec(engine, "waits", OneCpu, Ref(ready), Ref(pending));

        engine.Submit(task);

        Assert.Equal(1, engine.Counts.WaitingForArgs);
        Assert.Equal(0, engine.QueuedCount);
        Assert.Equal(0, engine.RunningCount);
        Assert.Equal(TaskState.Waiting, task.State);
        Assert.Empty(_placer.Asked);

        pending.TrySetInlineValue(2); // its callback queues the task and grants it a lease before returning

        Assert.Equal(0, engine.Counts.WaitingForArgs);
        Assert.Equal(1, engine.RunningCount);
        Assert.Same(task, await _runner.NextStartedAsync());
        _runner.Release(task);
    }

    [Fact]
    public async Task A_task_whose_argument_no_longer_exists_fails_with_ObjectLost_and_never_runs()
    {
        var engine = NewEngine(Cpus(1));
        var task = Spec(engine, "lost", OneCpu, TaskArg.FromRef(ObjectId.NewId(), null));

        engine.Submit(task);

        Assert.Equal(RayErrorKind.ObjectLost, task.Result.Error?.Kind);
        Assert.Equal(0, engine.Counts.WaitingForArgs);
        Assert.Equal(0, engine.QueuedCount + engine.RunningCount);
        await RunsNextAsync(engine, OneCpu);
        Assert.DoesNotContain(task, _runner.Seen);
    }

    [Fact]
    public async Task Two_cpus_run_at_most_two_one_cpu_tasks_at_once()
    {
        var engine = NewEngine(Cpus(2));
        var tasks = Enumerable.Range(0, 5).Select(i => Spec(engine, $"t{i}", OneCpu)).ToList();

        tasks.ForEach(engine.Submit);

        Assert.Equal(2, engine.RunningCount);
        Assert.Equal(3, engine.QueuedCount);
        Assert.Equal(0, engine.Resources.Available()[ResourceSet.Cpu]);
        var started = new List<TaskSpec> { await _runner.NextStartedAsync(), await _runner.NextStartedAsync() };
        Assert.Equal(tasks.Take(2).ToHashSet(), started.ToHashSet());

        // Each release lets exactly one more start: the finished task's lease takes the next queued one.
        for (var next = 2; next < tasks.Count; next++)
        {
            _runner.Release(started[next - 2]);
            started.Add(await _runner.NextStartedAsync());
            Assert.Same(tasks[next], started[^1]);
            Assert.Equal(2, engine.RunningCount);
        }

        _runner.Release(started[3]);
        _runner.Release(started[4]);

        // A two-CPU task starts only once both leases have ended and handed their CPUs back.
        await RunsNextAsync(engine, Cpus(2));
        Assert.Equal(2, _runner.MaxConcurrent);
    }

    [Fact]
    public async Task A_task_the_placer_takes_never_reaches_the_runner()
    {
        var engine = NewEngine(Cpus(1));
        _placer.Takes = spec => spec.Name == "spilled";
        var spilled = Spec(engine, "spilled", OneCpu);
        var kept = Spec(engine, "kept", OneCpu);

        engine.Submit(spilled);
        engine.Submit(kept);

        Assert.Equal(new[] { spilled, kept }, _placer.Asked);
        // One CPU, one queue: had the spilled task been queued, it would have run first.
        Assert.Same(kept, await _runner.NextStartedAsync());
        _runner.Release(kept);
        await RunsNextAsync(engine, OneCpu);
        Assert.DoesNotContain(spilled, _runner.Seen);
        Assert.Equal(TaskState.Waiting, spilled.State);
    }

    [Fact]
    public async Task A_task_needing_more_than_the_node_has_is_reported_infeasible_and_never_runs()
    {
        var engine = NewEngine(Cpus(2));
        var tooBig = Spec(engine, "too big", Cpus(4));
        var busy = new[] { Spec(engine, "a", OneCpu), Spec(engine, "b", OneCpu) };
        var waiting = Spec(engine, "waiting", OneCpu);

        engine.Submit(tooBig);
        foreach (var task in busy.Append(waiting))
        {
            engine.Submit(task);
        }

        var demands = engine.Queued.Demands();
        Assert.Contains(new ResourceDemandInfo(Cpus(4), 1, IsInfeasible: true, IsActor: false), demands);
        Assert.Contains(new ResourceDemandInfo(OneCpu, 1, IsInfeasible: false, IsActor: false), demands);
        Assert.Equal(2, demands.Count);

        var firstTwo = new[] { await _runner.NextStartedAsync(), await _runner.NextStartedAsync() };
        Assert.Equal(busy.ToHashSet(), firstTwo.ToHashSet());
        _runner.Release(busy[0]);
        _runner.Release(busy[1]);
        Assert.Same(waiting, await _runner.NextStartedAsync());
        _runner.Release(waiting);

        await RunsNextAsync(engine, Cpus(2));
        Assert.DoesNotContain(tooBig, _runner.Seen);
        Assert.Equal(new[] { new ResourceDemandInfo(Cpus(4), 1, IsInfeasible: true, IsActor: false) }, engine.Queued.Demands());
    }

    [Fact]
    public void Reserving_and_releasing_bundles_restores_availability()
    {
        var engine = NewEngine(Cpus(4));
        var group = Guid.NewGuid();
        var bundles = new[] { new BundleReservation(group, 0, Cpus(2)), new BundleReservation(group, 1, OneCpu) };

        Assert.True(engine.Resources.ReserveBundles(bundles));

        var free = engine.Resources.Available();
        Assert.Equal(1, free[ResourceSet.Cpu]);
        Assert.Equal(2, free[BundleCpu(group, 0)]);
        Assert.Equal(1, free[BundleCpu(group, 1)]);
        Assert.Equal(3, free[BundleCpu(group, BundleKey.AnyBundle)]);
        Assert.Equal(4, engine.Resources.Total[ResourceSet.Cpu]);
        Assert.Equal(3, engine.Resources.Total[BundleCpu(group, BundleKey.AnyBundle)]);

        // All or none: a bundle that does not fit leaves everything as it was.
        var other = Guid.NewGuid();
        Assert.False(engine.Resources.ReserveBundles(new[] { new BundleReservation(other, 0, OneCpu), new BundleReservation(other, 1, OneCpu) }));
        Assert.Equal(free, engine.Resources.Available());

        // A retried reservation holds each bundle once.
        Assert.True(engine.Resources.ReserveBundles(bundles));
        Assert.Equal(free, engine.Resources.Available());

        engine.Resources.ReleaseBundles(group);

        Assert.Equal(Cpus(4), engine.Resources.Available());
        Assert.Equal(Cpus(4), engine.Resources.Total);
    }

    [Fact]
    public void The_total_names_each_reserved_bundle_until_its_group_is_released()
    {
        var engine = NewEngine(Cpus(8));
        var released = Guid.NewGuid();
        var kept = Guid.NewGuid();
        Assert.True(engine.Resources.ReserveBundles(new[] { new BundleReservation(released, 0, Cpus(2)), new BundleReservation(released, 1, OneCpu) }));
        Assert.True(engine.Resources.ReserveBundles(new[] { new BundleReservation(kept, 0, OneCpu) }));
        Assert.True(engine.Resources.ReserveBundles(new[] { new BundleReservation(kept, 1, Cpus(2)) }));

        var total = engine.Resources.Total;
        Assert.Equal(8, total[ResourceSet.Cpu]);
        Assert.Equal(3, total[BundleCpu(released, BundleKey.AnyBundle)]);
        Assert.Equal(3, total[BundleCpu(kept, BundleKey.AnyBundle)]);
        Assert.Equal(2, total[BundleCpu(kept, 1)]);
        Assert.Equal(1 + 6, total.Items.Count()); // CPU, and per group: two bundles and the pool

        engine.Resources.ReleaseBundles(released);
        engine.Resources.ReleaseBundles(released); // a second release finds nothing and changes nothing

        total = engine.Resources.Total;
        var names = total.Items.Select(kv => kv.Key).ToArray();
        Assert.DoesNotContain(names, n => n.Contains(released.ToString("N"), StringComparison.Ordinal));
        Assert.Equal(new[] { ResourceSet.Cpu, BundleCpu(kept, 0), BundleCpu(kept, 1), BundleCpu(kept, BundleKey.AnyBundle) }.Order(StringComparer.Ordinal), names);
        Assert.Equal(3, total[BundleCpu(kept, BundleKey.AnyBundle)]);

        engine.Resources.ReleaseBundles(kept);
        Assert.Equal(Cpus(8), engine.Resources.Total);
    }

    [Fact]
    public async Task A_task_in_a_bundle_runs_only_against_its_bundle()
    {
        var engine = NewEngine(Cpus(4));
        var group = Guid.NewGuid();
        Assert.True(engine.Resources.ReserveBundles(new[] { new BundleReservation(group, 0, OneCpu) }));
        var inBundle = ResourceSet.From(new[] { KeyValuePair.Create(BundleCpu(group, 0), 1.0) });
        var first = Spec(engine, "first in bundle", inBundle);
        var second = Spec(engine, "second in bundle", inBundle);
        var elsewhere = Spec(engine, "bundle 1", ResourceSet.From(new[] { KeyValuePair.Create(BundleCpu(group, 1), 1.0) }));

        engine.Submit(first);
        engine.Submit(second);
        engine.Submit(elsewhere);

        Assert.Same(first, await _runner.NextStartedAsync());
        // The bundle's CPU is taken; the node's three free CPUs are not the bundle's, so the second waits.
        Assert.Equal(1, engine.RunningCount);
        Assert.Equal(3, engine.Resources.Available()[ResourceSet.Cpu]);
        Assert.Equal(0, engine.Resources.Available()[BundleCpu(group, 0)]);
        Assert.Contains(new ResourceDemandInfo(inBundle, 1, IsInfeasible: false, IsActor: false), engine.Queued.Demands());
        Assert.Contains(new ResourceDemandInfo(elsewhere.Resources, 1, IsInfeasible: true, IsActor: false), engine.Queued.Demands());

        // Node tasks are not held up by the bundle.
        var nodeTask = Spec(engine, "node task", Cpus(3));
        engine.Submit(nodeTask);
        Assert.Same(nodeTask, await _runner.NextStartedAsync());

        _runner.Release(first);
        Assert.Same(second, await _runner.NextStartedAsync());
        _runner.Release(second);
        _runner.Release(nodeTask);
        await RunsNextAsync(engine, inBundle);
        Assert.DoesNotContain(elsewhere, _runner.Seen);
    }

    [Fact]
    public async Task An_actor_in_a_bundle_holds_the_bundles_share_until_it_dies()
    {
        var engine = NewEngine(Cpus(2));
        var group = Guid.NewGuid();
        Assert.True(engine.Resources.ReserveBundles(new[] { new BundleReservation(group, 0, OneCpu) }));
        var inBundle = ResourceSet.From(new[] { KeyValuePair.Create(BundleCpu(group, 0), 1.0) });

        var first = engine.Resources.AcquireForActorAsync(inBundle, ActorId.NewId(), CancellationToken.None);
        var second = engine.Resources.AcquireForActorAsync(inBundle, ActorId.NewId(), CancellationToken.None);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.False(second.IsCompleted, "the bundle's one CPU is the first actor's; the node's free CPU is not the bundle's");
        Assert.Equal(1, engine.Resources.Available()[ResourceSet.Cpu]);
        Assert.Equal(new[] { new ResourceDemandInfo(inBundle, 1, IsInfeasible: false, IsActor: true) }, engine.Queued.Demands());

        engine.Resources.ReleaseForActor(inBundle, null);

        await second.WaitAsync(Deadline);
        Assert.Empty(engine.Queued.Demands());
        Assert.Equal(0, engine.Resources.Available()[BundleCpu(group, 0)]);
    }

    [Fact]
    public async Task A_task_cancelled_before_it_starts_never_runs()
    {
        var engine = NewEngine(Cpus(1));
        var running = Spec(engine, "running", OneCpu);
        var queued = Spec(engine, "queued", OneCpu);
        var argument = _arguments.Add();
        var waitingForArgs = Spec(engine, "waiting for args", OneCpu, Ref(argument));

        engine.Submit(running);
        Assert.Same(running, await _runner.NextStartedAsync());
        engine.Submit(queued);
        engine.Submit(waitingForArgs);
        Assert.Equal(1, engine.QueuedCount);
        Assert.Equal(1, engine.Counts.WaitingForArgs);

        queued.Cancel(force: false, recursive: true);
        waitingForArgs.Cancel(force: false, recursive: true);

        Assert.Equal(RayErrorKind.Cancelled, queued.Result.Error?.Kind);
        Assert.Equal(RayErrorKind.Cancelled, waitingForArgs.Result.Error?.Kind);
        Assert.Equal(0, engine.QueuedCount);
        Assert.Empty(engine.Queued.Demands());
        argument.TrySetInlineValue(1);
        Assert.Equal(0, engine.QueuedCount);
        Assert.Equal(0, engine.Counts.WaitingForArgs);

        var after = Spec(engine, "after", OneCpu);
        engine.Submit(after);
        _runner.Release(running);
        // One CPU, one queue: the lease runs what is left in order, and the cancelled ones are not in it.
        Assert.Same(after, await _runner.NextStartedAsync());
        _runner.Release(after);
        Assert.Equal(new[] { running, after }, _runner.Seen);
    }

    [Fact]
    public async Task Ending_a_job_takes_only_its_tasks_and_refuses_the_ones_it_submits_later()
    {
        var engine = NewEngine(Cpus(2));
        var (ended, other) = (WorkerId.NewId(), WorkerId.NewId());
        var running = JobSpec(engine, "ended job, running", ended);
        var otherRunning = JobSpec(engine, "other job, running", other);
        var queued = JobSpec(engine, "ended job, queued", ended);
        var otherQueued = JobSpec(engine, "other job, queued", other);
        var noJob = JobSpec(engine, "no job (a detached actor's)", default);
        var argument = _arguments.Add();
        var waitingForArgs = new TaskSpec(TaskId.NewId(), Function, [Ref(argument)], OneCpu, new ObjectEntry(ObjectId.NewId()), engine) { Name = "ended job, waiting for args", Job = JobScope.For(ended, null) };
        engine.Submit(running);
        engine.Submit(otherRunning);
        var started = new[] { await _runner.NextStartedAsync(), await _runner.NextStartedAsync() };
        Assert.Equal(new HashSet<TaskSpec> { running, otherRunning }, started.ToHashSet());
        engine.Submit(queued);
        engine.Submit(otherQueued);
        engine.Submit(noJob);
        engine.Submit(waitingForArgs);

        var newlyEnded = engine.FinishedJobs.Add([ended]);
        Assert.Equal(new HashSet<WorkerId> { ended }, newlyEnded);
        Assert.Empty(engine.FinishedJobs.Add([ended])); // known already
        var (takenQueued, takenRunning) = engine.FinishedJobs.Take(newlyEnded);

        Assert.Equal(new[] { queued }, takenQueued);
        Assert.Equal(new[] { running }, takenRunning);
        Assert.Equal(2, engine.QueuedCount); // the other job's and the one of no job keep their places

        // A task of the ended job that becomes ready later (its argument arrived, a retry, a nested submit) is refused.
        argument.TrySetInlineValue(1);
        Assert.Equal(RayErrorKind.Cancelled, waitingForArgs.Result.Error?.Kind);
        var later = JobSpec(engine, "ended job, later", ended);
        engine.Submit(later);
        Assert.Equal(RayErrorKind.Cancelled, later.Result.Error?.Kind);
        Assert.Contains("its job ended", later.Result.Error?.Message, StringComparison.Ordinal);

        // The ended job's running task, cancelled by force, gives its CPU back at once: a queued task takes it.
        running.Cancel(force: true, FinishedJobs.TaskError(running));
        Assert.Same(otherQueued, await _runner.NextStartedAsync());
        _runner.ReleaseAll();
        Assert.Same(noJob, await _runner.NextStartedAsync());
        await LeasesEndedAsync(engine);
        Assert.DoesNotContain(queued, _runner.Seen);
        Assert.DoesNotContain(waitingForArgs, _runner.Seen);
        Assert.DoesNotContain(later, _runner.Seen);
    }

    private static TaskSpec JobSpec(SchedulerEngine engine, string name, WorkerId jobDriver) =>
        new(TaskId.NewId(), Function, Array.Empty<TaskArg>(), OneCpu, new ObjectEntry(ObjectId.NewId()), engine) { Name = name, Job = JobScope.For(jobDriver, null) };

    [Fact]
    public async Task A_queued_task_no_worker_thread_has_taken_runs_once_on_the_thread_that_waits_for_it()
    {
        // A pool of one thread, held by a blocking item: the task's lease stays queued.
        using var hold = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        var pool = new WorkerPool("run-here-tests", minThreads: 1, maxThreads: 1);
        var engine = new SchedulerEngine(Cpus(2), pool, _runner, _arguments, _placer);
        try
        {
            pool.Post(_ => { held.Set(); hold.Wait(Deadline); }, null);
            Assert.True(held.Wait(Deadline), "the pool's one thread is held");

            // Only a function whose last run was short and did not await runs on a waiting driver's thread.
            var unknown = new TaskSpec(TaskId.NewId(), FunctionRegistry.ForDelegate((Func<int>)(() => 1), "never ran"), Array.Empty<TaskArg>(), OneCpu, new ObjectEntry(ObjectId.NewId()), engine) { Name = "never ran" };
            engine.Submit(unknown);
            Assert.False(unknown.TryRunHere());

            var task = Spec(engine, "run here", OneCpu);
            task.Function.RecordRun(0);
            SubmitterMarker.Value = "driver";
            var callersContext = new SynchronizationContext();
            var testContext = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(callersContext);
            engine.Submit(task); // granted a lease at once, queued on the held pool

            bool ranHere;
            try
            {
                ranHere = task.TryRunHere();
                Assert.Same(callersContext, SynchronizationContext.Current);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(testContext);
            }

            Assert.True(ranHere);
            Assert.False(task.TryRunHere()); // claimed once

            var seen = _runner.Observed[task];
            Assert.Equal(Environment.CurrentManagedThreadId, seen.ThreadId);
            Assert.Null(seen.SubmitterMarker); // none of the caller's async locals
            Assert.Null(seen.Context); // nor its synchronization context
            Assert.Same(pool, seen.Scheduler); // its awaits resume on worker threads
            Assert.True(seen.OnWorkerThread); // it counts as user code on a worker thread while it runs
            Assert.False(WorkerPool.IsWorkerThread);
            Assert.False(ExecutionContext.IsFlowSuppressed());
            Assert.Equal("driver", SubmitterMarker.Value);

            // The task awaits its gate: it finishes on the pool once the pool's thread is free, and the lease's queued
            // loop, claimed by this thread, does not run it again.
            _runner.Release(task);
            _runner.Release(unknown);
            hold.Set();
            await task.Result.WhenComplete().WaitAsync(Deadline);
            await unknown.Result.WhenComplete().WaitAsync(Deadline);
            await LeasesEndedAsync(engine);
            Assert.Single(_runner.Seen, s => ReferenceEquals(s, task));

            // A task a worker thread has started is not run again here.
            var taken = Spec(engine, "taken", OneCpu);
            engine.Submit(taken);
            Assert.True(_runner.WaitUntilStarted(taken, Deadline));
            Assert.False(taken.TryRunHere());
            _runner.Release(taken);
            await taken.Result.WhenComplete().WaitAsync(Deadline);
            Assert.Single(_runner.Seen, s => ReferenceEquals(s, taken));
            Assert.True(_runner.Observed[taken].OnWorkerThread);
        }
        finally
        {
            hold.Set();
            _runner.ReleaseAll();
            await LeasesEndedAsync(engine);
            engine.Dispose();
            pool.Dispose();
        }
    }

    [Fact]
    public async Task A_drivers_lone_short_task_waits_for_its_driver_without_waking_a_worker_thread_and_runs_on_one_if_the_driver_does_not_come()
    {
        var time = new Semantics.ManualTimers();
        var pool = new WorkerPool("deferred-lease-tests", minThreads: 1, maxThreads: 1, time);
        var engine = new SchedulerEngine(Cpus(2), pool, _runner, _arguments, _placer);
        var unclaimed = new SchedulerEngine(Cpus(2), pool, _runner, _arguments, _placer);
        try
        {
            _runner.ReleaseAll();

            // Granted outside a driver's submit (as when another task's end grants it, on whatever thread that was):
            // queued as usual, though lone and short.
            var granted = ShortSpec(engine, "granted");
            engine.Submit(granted);
            Assert.False(pool.HasDeferred);
            await granted.Result.WhenComplete().WaitAsync(Deadline);
            await LeasesEndedAsync(engine);
            engine.Counts.RecordFinished(failed: false); // the gated runner does not count it

            var task = ShortSpec(engine, "lone");
            DriverSubmit(engine, task); // the test's thread is a driver's: no worker thread, no task, no grain turn
            Assert.True(pool.HasDeferred, "the lease waits for its driver: no worker thread is woken for it");
            Assert.True(task.TryRunHere());
            Assert.False(pool.HasDeferred);
            Assert.Equal(Environment.CurrentManagedThreadId, _runner.Observed[task].ThreadId);
            await task.Result.WhenComplete().WaitAsync(Deadline);

            // A lone task its driver does not come for: a worker thread runs it once the timer finds it waited a tick.
            var left = ShortSpec(unclaimed, "left");
            DriverSubmit(unclaimed, left);
            Assert.True(pool.HasDeferred);
            time.Fire();
            time.Fire();
            Assert.False(pool.HasDeferred);
            await left.Result.WhenComplete().WaitAsync(Deadline);
            Assert.True(_runner.Observed[left].OnWorkerThread);
            Assert.NotEqual(Environment.CurrentManagedThreadId, _runner.Observed[left].ThreadId);
            Assert.Single(_runner.Seen, s => ReferenceEquals(s, task));
            Assert.Single(_runner.Seen, s => ReferenceEquals(s, left));
        }
        finally
        {
            await LeasesEndedAsync(engine);
            await LeasesEndedAsync(unclaimed);
            engine.Dispose();
            unclaimed.Dispose();
            pool.Dispose();
        }
    }

    /// <summary>Submits <paramref name="task"/> as a driver's submit does (NodeRuntime.SubmitTask).</summary>
    private static void DriverSubmit(SchedulerEngine engine, TaskSpec task)
    {
        using (OrleansRay.Execution.DriverSubmit.Begin())
        {
            engine.Submit(task);
        }
    }

    /// <summary>A task of its own function, whose last run was short and did not await.</summary>
    private static TaskSpec ShortSpec(SchedulerEngine engine, string name)
    {
        var function = FunctionRegistry.ForDelegate((Func<int>)(() => 1), name);
        function.RecordRun(0);
        return new TaskSpec(TaskId.NewId(), function, Array.Empty<TaskArg>(), OneCpu, new ObjectEntry(ObjectId.NewId()), engine) { Name = name };
    }

    [Fact]
    public async Task A_lease_runs_on_a_worker_thread_without_the_submitters_async_locals()
    {
        var engine = NewEngine(Cpus(2));
        var first = Spec(engine, "first", OneCpu);
        var second = Spec(engine, "second", Cpus(0.5));

        SubmitterMarker.Value = "submitter";
        engine.Submit(first); // granted and started by this thread

        // The flow suppressed around the queueing is restored for the submitter.
        Assert.False(ExecutionContext.IsFlowSuppressed());
        Assert.Equal("submitter", SubmitterMarker.Value);
        Assert.Same(first, await _runner.NextStartedAsync());
        Assert.Null(_runner.Observed[first].SubmitterMarker);
        Assert.True(_runner.Observed[first].OnWorkerThread);

        // A submitter that already suppressed the flow (ExecutionContext.SuppressFlow throws when nested) starts leases too.
        using (ExecutionContext.SuppressFlow())
        {
            engine.Submit(second);
        }

        Assert.Same(second, await _runner.NextStartedAsync());
        Assert.Null(_runner.Observed[second].SubmitterMarker);
        Assert.True(_runner.Observed[second].OnWorkerThread);
        _runner.Release(first);
        _runner.Release(second);
    }

    [Fact]
    public async Task A_lease_granted_by_a_worker_thread_that_then_blocks_starts_on_another_thread()
    {
        // The pool has one thread to begin with, and the submitter holds it: the lease must get a thread of its own,
        // never run inline on the submitter's, nor wait for it.
        using var pool = new WorkerPool("lease-start-tests", minThreads: 1, maxThreads: 4);
        var engine = new SchedulerEngine(Cpus(1), pool, _runner, _arguments, _placer);
        _engines.Add(engine);
        var task = Spec(engine, "child", OneCpu);
        var submitterThread = 0;
        var startedWhileBlocked = false;
        await pool.Run(() =>
        {
            submitterThread = Environment.CurrentManagedThreadId;
            engine.Submit(task);
            startedWhileBlocked = _runner.WaitUntilStarted(task, Deadline); // blocks this worker thread
            return Task.CompletedTask;
        }).WaitAsync(Deadline * 2);

        Assert.True(startedWhileBlocked, "the lease did not start while the worker thread that granted it was blocked");
        Assert.NotEqual(submitterThread, _runner.Observed[task].ThreadId);
        Assert.True(_runner.Observed[task].OnWorkerThread);
        _runner.Release(task);
        await LeasesEndedAsync(engine); // before its pool goes
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Every lease ends before the worker pool goes: a lease loop resuming after the pool is disposed would be
        // handed to the thread pool instead, which is not what these tests are about.
        _runner.ReleaseAll();
        await LeasesEndedAsync(_engines.ToArray());

        foreach (var engine in _engines)
        {
            engine.Dispose();
        }

        _pool.Dispose();
    }

    /// <summary>Waits (up to the deadline) until the engines' leases have ended: a lease leaves the engine's count
    /// under its lock as its loop returns, and nothing signals that, so this polls.</summary>
    private static async Task LeasesEndedAsync(params SchedulerEngine[] engines)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (engines.Any(e => e.RunningCount > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5));
        }
    }

    private static ResourceSet Cpus(double amount) => ResourceSet.From(new[] { KeyValuePair.Create(ResourceSet.Cpu, amount) });

    private static string BundleCpu(Guid group, int index) => new BundleKey(group, index).ResourceName(ResourceSet.Cpu);

    private static TaskArg Ref(ObjectEntry entry) => TaskArg.FromRef(entry.Id, null);

    private static TaskSpec Spec(SchedulerEngine engine, string name, ResourceSet resources, params TaskArg[] args) =>
        new(TaskId.NewId(), Function, args, resources, new ObjectEntry(ObjectId.NewId()), engine) { Name = name };

    private SchedulerEngine NewEngine(ResourceSet total)
    {
        var engine = new SchedulerEngine(total, _pool, _runner, _arguments, _placer);
        _engines.Add(engine);
        return engine;
    }

    /// <summary>Submits a task of <paramref name="shape"/> and waits until the runner starts it (it must be the next to
    /// start), then lets it finish: proof that the shape's resources were free.</summary>
    private async Task RunsNextAsync(SchedulerEngine engine, ResourceSet shape, TaskSpec? task = null)
    {
        task ??= Spec(engine, "probe", shape);
        engine.Submit(task);
        Assert.Same(task, await _runner.NextStartedAsync());
        _runner.Release(task);
    }

    /// <summary>Entries of object arguments, as the node's object table would hold them.</summary>
    private sealed class FakeArguments : IArgumentSource
    {
        private readonly ConcurrentDictionary<ObjectId, ObjectEntry> _entries = new();

        public ObjectEntry Add()
        {
            var entry = new ObjectEntry(ObjectId.NewId());
            _entries[entry.Id] = entry;
            return entry;
        }

        public bool TryGetArgument(in TaskArg arg, out ObjectEntry entry) => _entries.TryGetValue(arg.RefId, out entry!);
    }

    /// <summary>Takes the tasks <see cref="Takes"/> accepts off the node, recording every task it is asked about.</summary>
    private sealed class FakePlacer : ITaskPlacer
    {
        private readonly ConcurrentQueue<TaskSpec> _asked = new();

        public Func<TaskSpec, bool> Takes { get; set; } = _ => false;

        public IReadOnlyCollection<TaskSpec> Asked => _asked;

        public bool TryPlaceElsewhere(TaskSpec spec)
        {
            _asked.Enqueue(spec);
            return Takes(spec);
        }
    }

    /// <summary>Runs each task until the test releases it; records the order tasks started and the most that ran at once.</summary>
    private sealed class GatedRunner : ITaskRunner
    {
        private readonly Channel<TaskSpec> _started = Channel.CreateUnbounded<TaskSpec>();
        private readonly ConcurrentDictionary<TaskSpec, TaskCompletionSource> _gates = new();
        private readonly ConcurrentQueue<TaskSpec> _seen = new();
        private readonly ConcurrentDictionary<TaskSpec, RunObservation> _observed = new();
        private readonly ConcurrentDictionary<TaskSpec, ManualResetEventSlim> _startedEvents = new();
        private int _running;
        private int _maxConcurrent;
        private volatile bool _open;

        public IReadOnlyCollection<TaskSpec> Seen => _seen;

        /// <summary>What each task saw when it started.</summary>
        public IReadOnlyDictionary<TaskSpec, RunObservation> Observed => _observed;

        public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

        public async ValueTask RunAsync(TaskSpec spec, Lease lease)
        {
            var running = Interlocked.Increment(ref _running);
            for (var max = Volatile.Read(ref _maxConcurrent); running > max; max = Volatile.Read(ref _maxConcurrent))
            {
                Interlocked.CompareExchange(ref _maxConcurrent, running, max);
            }

            _observed[spec] = new RunObservation(SubmitterMarker.Value, WorkerPool.IsWorkerThread, Environment.CurrentManagedThreadId, TaskScheduler.Current, SynchronizationContext.Current);
            StartedEvent(spec).Set();
            _seen.Enqueue(spec);
            var gate = Gate(spec);
            _started.Writer.TryWrite(spec);
            await gate.Task.WaitAsync(Deadline);
            Interlocked.Decrement(ref _running);
            spec.State = TaskState.Done;
            spec.Result.TrySetInlineValue(spec.Name);
        }

        /// <summary>Blocks the calling thread until <paramref name="spec"/> has started; false after <paramref name="timeout"/>.</summary>
        public bool WaitUntilStarted(TaskSpec spec, TimeSpan timeout) => StartedEvent(spec).Wait(timeout);

        private ManualResetEventSlim StartedEvent(TaskSpec spec) => _startedEvents.GetOrAdd(spec, static _ => new ManualResetEventSlim());

        public async Task<TaskSpec> NextStartedAsync() => await _started.Reader.ReadAsync().AsTask().WaitAsync(Deadline);

        public void Release(TaskSpec spec) => Gate(spec).TrySetResult();

        /// <summary>Releases every task, those that start from now on included.</summary>
        public void ReleaseAll()
        {
            _open = true;
            foreach (var gate in _gates.Values)
            {
                gate.TrySetResult();
            }
        }

        private TaskCompletionSource Gate(TaskSpec spec)
        {
            var gate = _gates.GetOrAdd(spec, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (_open)
            {
                gate.TrySetResult();
            }

            return gate;
        }
    }

    /// <summary>What a task saw as it started: the submitter's marker, whether it ran on a worker thread, and which.</summary>
    private sealed record RunObservation(string? SubmitterMarker, bool OnWorkerThread, int ThreadId, TaskScheduler Scheduler, SynchronizationContext? Context);
}
