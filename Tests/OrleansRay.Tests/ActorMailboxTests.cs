using Microsoft.Extensions.Logging.Abstractions;
using OrleansRay.Actors;
using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;
using OrleansRay.Execution;
using OrleansRay.Node;
using OrleansRay.Ownership;

namespace OrleansRay.Tests;

/// <summary>The host side's ordering rules, driven with hand-made callers (a driver process has one caller id, so
/// several callers are made here directly).</summary>
[Collection(RayCollection.Name)]
public sealed class ActorMailboxTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly NodeRuntime _runtime;

    public ActorMailboxTests(RayFixture fixture) => _runtime = ((IRayRuntimeAccess)fixture.Ray).Runtime;

    [Fact]
    public async Task A_callers_slow_argument_does_not_block_other_callers_and_each_callers_order_holds()
    {
        var mailbox = NewRecorder();
        var record = FunctionRegistry.ForDelegate((Func<Recorder, int, int>)((r, v) => r.Record(v)), "actor method");
        var callerA = WorkerId.NewId();
        var callerB = WorkerId.NewId();
        var slowArg = _runtime.Objects.Create(ObjectId.NewId());

        var a0 = Call(mailbox, callerA, 0, record, TaskArg.FromRef(slowArg.Id, null));
        var a1 = Call(mailbox, callerA, 1, record, TaskArg.FromValue(11));
        var b0 = Call(mailbox, callerB, 0, record, TaskArg.FromValue(20));

        await b0.WhenComplete().WaitAsync(Deadline);
        Assert.Equal(1, b0.Value);
        Assert.False(a0.IsComplete);
        Assert.False(a1.IsComplete, "caller A's second call waits behind its first");

        slowArg.TrySetValue(10);
        await a1.WhenComplete().WaitAsync(Deadline);
        Assert.Equal(2, a0.Value);
        Assert.Equal(3, a1.Value);
    }

    [Fact]
    public async Task Calls_arriving_out_of_order_run_in_sequence_order_and_duplicates_are_ignored()
    {
        var mailbox = NewRecorder();
        var record = FunctionRegistry.ForDelegate((Func<Recorder, int, int>)((r, v) => r.Record(v)), "actor method");
        var caller = WorkerId.NewId();
        var second = Call(mailbox, caller, 1, record, TaskArg.FromValue(1));
        var third = Call(mailbox, caller, 2, record, TaskArg.FromValue(2));
        Assert.False(second.IsComplete);
        var first = Call(mailbox, caller, 0, record, TaskArg.FromValue(0));
        await third.WhenComplete().WaitAsync(Deadline);
        Assert.Equal(new object?[] { 1, 2, 3 }, new[] { first.Value, second.Value, third.Value });

        var duplicate = Call(mailbox, caller, 0, record, TaskArg.FromValue(99));
        var fourth = Call(mailbox, caller, 3, record, TaskArg.FromValue(3));
        await fourth.WhenComplete().WaitAsync(Deadline);
        Assert.Equal(4, fourth.Value);
        Assert.False(duplicate.IsComplete, "a replayed sequence number is not run twice");
    }

    [Fact]
    public async Task A_drain_no_worker_thread_has_started_runs_the_callers_lone_call_on_the_waiting_thread()
    {
        // The actor's services with a pool of one thread, which a blocking item holds once the actor is up.
        using var hold = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        var time = new Semantics.ManualTimers();
        var pool = new WorkerPool("mailbox-run-here", minThreads: 1, maxThreads: 1, time);
        try
        {
            var shared = _runtime.ActorServices;
            var services = new ActorServices(shared.Host, shared.Node, shared.Reader, pool, shared.Scheduler, shared.Cluster, shared.Replies) { Code = shared.Code };
            var mailbox = NewRecorder(services);
            var threadOf = FunctionRegistry.ForDelegate((Func<Recorder, int, int>)((r, v) => { r.Record(v); return Environment.CurrentManagedThreadId; }), "thread of");
            var caller = WorkerId.NewId();
            var warm = Call(mailbox, caller, 0, threadOf, TaskArg.FromValue(0));
            await warm.WhenComplete().WaitAsync(Deadline);
            Assert.False(mailbox.Dispatcher.TryRunHere(warm), "nothing is queued");

            pool.Post(_ => { held.Set(); hold.Wait(Deadline); }, null);
            Assert.True(held.Wait(Deadline), "the pool's one thread is held");

            // The caller's call alone in the queue, and the actor's last call was short: it runs here.
            mailbox.Dispatcher.RecordCall(long.MaxValue);
            var notShort = Call(mailbox, caller, 1, threadOf, TaskArg.FromValue(1));
            Assert.False(mailbox.Dispatcher.TryRunHere(notShort), "the last call was long or awaited");
            mailbox.Dispatcher.RecordCall(0);
            Assert.True(mailbox.Dispatcher.TryRunHere(notShort));
            mailbox.Dispatcher.RecordCall(0);
            var awaited = Call(mailbox, caller, 2, threadOf, TaskArg.FromValue(2));
            Assert.True(pool.HasDeferred, "the caller's lone short call waits for its caller: no worker thread is woken for it");
            Assert.True(mailbox.Dispatcher.TryRunHere(awaited));
            Assert.False(pool.HasDeferred);
            Assert.True(awaited.IsComplete);
            var here = Environment.CurrentManagedThreadId;
            Assert.Equal(here, awaited.Value);

            // Two queued: never another caller's call on this thread; both wait for the pool, which runs them once its
            // thread is free.
            mailbox.Dispatcher.RecordCall(0);
            var next = Call(mailbox, caller, 3, threadOf, TaskArg.FromValue(3));
            Assert.True(pool.HasDeferred);
            var after = Call(mailbox, caller, 4, threadOf, TaskArg.FromValue(4));
            Assert.False(pool.HasDeferred, "a second call behind it: its caller will not run the drain, so it is queued at once");
            Assert.False(mailbox.Dispatcher.TryRunHere(after));
            Assert.False(next.IsComplete || after.IsComplete);
            hold.Set();
            await after.WhenComplete().WaitAsync(Deadline);
            Assert.NotEqual(here, next.Value);
            Assert.NotEqual(here, after.Value);

            // Each call ran once, in order.
            var count = FunctionRegistry.ForDelegate((Func<Recorder, int, int>)((r, v) => r.Record(v)), "count");
            var total = Call(mailbox, caller, 5, count, TaskArg.FromValue(5));
            // The drain loop still running takes it; or, lone and short, it waits for its caller, who does not come for it
            // here: the timer hands it to a worker thread a whole tick later.
            time.Fire();
            time.Fire();
            Assert.False(pool.HasDeferred);
            await total.WhenComplete().WaitAsync(Deadline);
            Assert.Equal(6, total.Value);
        }
        finally
        {
            hold.Set();
            pool.Dispose();
        }
    }

    private ActorMailbox NewRecorder(ActorServices? services = null)
    {
        var mailbox = new ActorMailbox(services ?? _runtime.ActorServices, NullLogger.Instance);
        var ctor = FunctionRegistry.ForConstructor(typeof(Recorder).GetConstructor(Type.EmptyTypes)!);
        mailbox.Start(new ActorCreationSpec { ActorId = ActorId.NewId(), Constructor = ctor.Descriptor, ClassName = typeof(Recorder).FullName!, Owner = _runtime.WorkerId });
        return mailbox;
    }

    /// <summary>A call sent by <paramref name="caller"/>'s own code, as its outbox sends a lone call
    /// (<see cref="DriverSubmit.IsActive"/>).</summary>
    private ObjectEntry Call(ActorMailbox mailbox, WorkerId caller, long sequence, CompiledFunction method, TaskArg arg)
    {
        var result = _runtime.Objects.Create(ObjectId.NewId());
        using (DriverSubmit.Begin())
        {
            mailbox.Submit(new ActorCallBatch(new[]
            {
                new ActorCall { Caller = caller, Sequence = sequence, ReturnId = result.Id, Method = method.Descriptor, Args = new[] { arg }, Owner = _runtime.WorkerId },
            }));
        }

        return result;
    }
}
