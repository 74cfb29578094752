using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Actors;

/// <summary>An actor that waits for a call to itself, through its own handle, waits for its own running call to end
/// (as in Ray): a timed wait's error says so, instead of pointing at <c>PendingDemandsAsync()</c>, which has nothing
/// to show. A wait from outside the actor keeps the usual hint.</summary>
[Collection(RayCollection.Name)]
public sealed class SelfCallTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public SelfCallTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task An_actor_waiting_for_a_call_to_itself_is_told_it_waits_for_its_own_running_call()
    {
        var actor = _ray.Actor(() => new SelfCaller()).Remote();

        var messages = await _ray.GetAsync(actor.Task((a, self) => a.WaitOnItself(self, 300), actor).Remote(), Deadline);

        Assert.All(messages, m => Assert.Contains("was not ready within 0.3 s", m, StringComparison.Ordinal));
        Assert.All(messages, m => Assert.Contains("that actor SelfCaller (", m, StringComparison.Ordinal));
        Assert.All(messages, m => Assert.Contains("made to itself", m, StringComparison.Ordinal));
        Assert.All(messages, m => Assert.Contains("Call the method directly", m, StringComparison.Ordinal));
        Assert.All(messages, m => Assert.DoesNotContain("PendingDemandsAsync", m, StringComparison.Ordinal));
        Assert.Equal(2, messages.Length); // one ref, and a list of refs

        // The calls it made to itself run once the waiting call has ended.
        Assert.Equal(1, await _ray.GetAsync(actor.Task(a => a.Ping()).Remote(), Deadline));
    }

    [Fact]
    public async Task A_wait_from_outside_the_actor_keeps_the_usual_hint()
    {
        var actor = _ray.Actor(() => new SelfCaller()).Remote();
        var gate = Guid.NewGuid().ToString("N");
        var blocked = actor.Task((a, g) => a.Block(g), gate).Remote();

        var error = await Assert.ThrowsAsync<GetTimeoutException>(async () => await _ray.GetAsync(actor.Task(a => a.Ping()).Remote(), TimeSpan.FromMilliseconds(200)));

        Assert.Contains("PendingDemandsAsync()", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("itself", error.Message, StringComparison.Ordinal);
        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(blocked, Deadline));
    }
}

/// <summary>An ordinary actor (one call at a time) that calls itself through its own handle.</summary>
public sealed class SelfCaller
{
    public int Ping() => 1;

    public int Block(string gate)
    {
        Gates.Get(gate).Wait(TimeSpan.FromSeconds(30));
        return 1;
    }

    /// <summary>Waits <paramref name="timeoutMs"/> for a call to itself, as one ref and as a list of refs; returns the
    /// two timeouts' messages.</summary>
    public async Task<string[]> WaitOnItself(ActorHandle<SelfCaller> self, int timeoutMs)
    {
        var messages = new List<string>();
        try
        {
            await Ray.Current.GetAsync(self.Task(a => a.Ping()).Remote(), TimeSpan.FromMilliseconds(timeoutMs));
            messages.Add("no timeout");
        }
        catch (GetTimeoutException ex)
        {
            messages.Add(ex.Message);
        }

        try
        {
            await Ray.Current.GetAsync(new[] { self.Task(a => a.Ping()).Remote() }, TimeSpan.FromMilliseconds(timeoutMs));
            messages.Add("no timeout");
        }
        catch (GetTimeoutException ex)
        {
            messages.Add(ex.Message);
        }

        return [.. messages];
    }
}
