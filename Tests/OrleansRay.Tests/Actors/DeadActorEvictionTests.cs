using OrleansRay.Actors;
using OrleansRay.Grains;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Actors;

/// <summary>A node keeps the latest <see cref="HostedActorRegistry.DeadKept"/> dead actors; an older one's host
/// activation goes (it was [KeepAlive], so every actor a cluster ever killed stayed in memory, ~10 KB each: 95 MiB per
/// 10,000 in "many actors creation"), and a call to it is still answered with its death from the actor's record.</summary>
[Collection(RayCollection.Name)]
public sealed class DeadActorEvictionTests(RayFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_killed_actors_host_activation_goes_after_DeadKept_later_deaths_and_calls_still_fail_with_ActorDiedException()
    {
        var ray = fixture.Ray;
        var grains = ((Internal.IRayRuntimeAccess)ray).Runtime.GrainFactory;
        var management = grains.GetGrain<IManagementGrain>(0);

        var victim = ray.Actor(() => new Counter(0)).Remote();
        Assert.Equal(1, await ray.GetAsync(victim.Task(x => x.Increment()).Remote(), Deadline));
        var host = grains.GetGrain<IActorHostGrain>(victim.ActorId.ToGuid()).GetGrainId();
        await ray.KillAsync(victim);
        Assert.Contains(host, await management.GetActiveGrains(host.Type));

        // DeadKept later deaths push the victim out of its node's registry.
        var others = Enumerable.Range(0, HostedActorRegistry.DeadKept).Select(_ => ray.Actor(() => new Counter(0)).Remote()).ToList();
        Assert.All(await ray.GetAsync(others.Select(a => a.Task(x => x.Increment()).Remote()).ToList(), Deadline), v => Assert.Equal(1, v));
        await Task.WhenAll(others.Select(a => ray.KillAsync(a))).WaitAsync(Deadline);

        await Eventually.TrueAsync(async () => !(await management.GetActiveGrains(host.Type)).Contains(host), Deadline, "the evicted dead actor's host activation to go");
        var ex = await Assert.ThrowsAsync<ActorDiedException>(async () => await ray.GetAsync(victim.Task(x => x.Increment()).Remote(), Deadline));
        Assert.Contains("killed", ex.Message, StringComparison.Ordinal);
    }
}
