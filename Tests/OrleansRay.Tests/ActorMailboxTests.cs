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

    private ActorMailbox NewRecorder()
    {
        var mailbox = new ActorMailbox(_runtime.ActorServices, NullLogger.Instance);
        var ctor = FunctionRegistry.ForConstructor(typeof(Recorder).GetConstructor(Type.EmptyTypes)!);
        mailbox.Start(new ActorCreationSpec { ActorId = ActorId.NewId(), Constructor = ctor.Descriptor, ClassName = typeof(Recorder).FullName!, Owner = _runtime.WorkerId });
        return mailbox;
    }

    private ObjectEntry Call(ActorMailbox mailbox, WorkerId caller, long sequence, CompiledFunction method, TaskArg arg)
    {
        var result = _runtime.Objects.Create(ObjectId.NewId());
        mailbox.Submit(new ActorCallBatch(new[]
        {
            new ActorCall { Caller = caller, Sequence = sequence, ReturnId = result.Id, Method = method.Descriptor, Args = new[] { arg }, Owner = _runtime.WorkerId },
        }));
        return result;
    }
}
