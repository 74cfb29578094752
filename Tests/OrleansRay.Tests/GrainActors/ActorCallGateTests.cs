using OrleansRay.Actors;
using Xunit;

namespace OrleansRay.Tests.GrainActors;

/// <summary>The admitting of calls to an actor grain, driven directly: Orleans seldom reorders two calls of one caller,
/// so these make it happen.</summary>
public sealed class ActorCallGateTests
{
    private static readonly Guid Caller = Guid.NewGuid();

    [Fact]
    public async Task Calls_arriving_out_of_order_start_in_sequence_order()
    {
        var gate = new ActorCallGate(maxConcurrency: 1);
        var started = new List<long>();
        var third = Admit(gate, 2, 0, started);
        var second = Admit(gate, 1, 0, started);
        Assert.False(third.IsCompleted);
        Assert.False(second.IsCompleted);
        var first = Admit(gate, 0, 0, started);
        await first;
        gate.Exit();
        await second;
        gate.Exit();
        await third;
        gate.Exit();
        Assert.Equal(new long[] { 0, 1, 2 }, started);
    }

    [Fact]
    public void A_call_queued_behind_its_callers_running_call_is_admitted_the_moment_that_call_exits()
    {
        var gate = new ActorCallGate(maxConcurrency: 1);
        Assert.True(gate.EnterAsync(new ActorCallStamp(Caller, 0, 0)).IsCompletedSuccessfully);
        var next = gate.EnterAsync(new ActorCallStamp(Caller, 1, 0));
        Assert.False(next.IsCompleted);
        gate.Exit();
        Assert.True(next.IsCompletedSuccessfully); // not after the gap grace: the slot passed on at once
    }

    [Fact]
    public async Task A_call_given_up_by_its_caller_does_not_hold_up_the_next_ones()
    {
        var gate = new ActorCallGate(maxConcurrency: 1);
        var started = new List<long>();
        var second = Admit(gate, 6, 5, started);
        Assert.False(second.IsCompleted); // waits for 5
        var later = Admit(gate, 7, 6, started); // the caller says 5 is done (lost): 6 and 7 may go
        await second;
        gate.Exit();
        await later;
        gate.Exit();
        Assert.Equal(new long[] { 6, 7 }, started);
    }

    [Fact]
    public async Task MaxConcurrency_bounds_admitted_calls_and_closing_fails_the_waiting_ones()
    {
        var gate = new ActorCallGate(maxConcurrency: 2);
        var started = new List<long>();
        await Admit(gate, 0, 0, started);
        await Admit(gate, 1, 0, started);
        var waiting = Admit(gate, 2, 0, started);
        Assert.False(waiting.IsCompleted);
        gate.Close(new ActorDiedException("killed"));
        await Assert.ThrowsAsync<ActorDiedException>(() => waiting);
        await Assert.ThrowsAsync<ActorDiedException>(() => gate.EnterAsync(null).AsTask());
    }

    private static async Task Admit(ActorCallGate gate, long sequence, long floor, List<long> started)
    {
        await gate.EnterAsync(new ActorCallStamp(Caller, sequence, floor));
        started.Add(sequence);
    }
}
