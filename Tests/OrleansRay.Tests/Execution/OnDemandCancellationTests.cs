using OrleansRay.Execution;
using Xunit;

namespace OrleansRay.Tests.Execution;

/// <summary>An actor call's cancellation is made only when its code asks for the token or the call is cancelled
/// (<see cref="TaskContext.OnDemand"/>): a cancel before the code looks is not lost, one after reaches the token the code
/// holds, and racing the two from two threads always ends cancelled.</summary>
public sealed class OnDemandCancellationTests
{
    private static TaskContext NewContext() => new(host: new object(), "Counter.Increment", TaskContext.OnDemand, slot: null);

    [Fact]
    public void A_cancel_before_the_code_asks_leaves_the_token_it_gets_cancelled()
    {
        var context = NewContext();

        context.Cancel();

        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void A_cancel_after_the_code_asked_cancels_the_token_it_holds_and_runs_its_callbacks()
    {
        var context = NewContext();
        var token = context.CancellationToken;
        var called = 0;
        using var registration = token.Register(() => Interlocked.Increment(ref called));
        Assert.False(token.IsCancellationRequested);
        Assert.Equal(token, context.CancellationToken);

        context.Cancel();
        context.Cancel();

        Assert.True(token.IsCancellationRequested);
        Assert.Equal(1, called);
    }

    [Fact]
    public async Task A_cancel_racing_the_first_ask_always_ends_cancelled()
    {
        for (var i = 0; i < 2_000; i++)
        {
            var context = NewContext();
            using var start = new Barrier(2);
            CancellationToken asked = default;
            var ask = Task.Run(() =>
            {
                start.SignalAndWait();
                asked = context.CancellationToken;
            });
            start.SignalAndWait();
            context.Cancel();
            await ask.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(asked.IsCancellationRequested, $"round {i}: the token the code got missed the cancel");
        }
    }

    [Fact]
    public void A_context_given_its_callers_token_refuses_to_cancel_itself()
    {
        using var source = new CancellationTokenSource();
        var context = new TaskContext(new object(), "f", source.Token, slot: null);

        Assert.Throws<InvalidOperationException>(context.Cancel);
        Assert.Equal(source.Token, context.CancellationToken);
    }
}
