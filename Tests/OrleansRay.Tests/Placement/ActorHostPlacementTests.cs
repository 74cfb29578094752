using System.Net;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansRay.Placement;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>An actor's host grain goes to the node the scheduler chose (the placement hint) even when that node has just
/// joined and this silo does not list it as a placement target yet: Orleans' PreferLocalPlacement placed it on the
/// creator's gateway silo then, which could lack the actor's resources for good (seen as GrainActorClusterTests failing
/// now and then: an actor asking for a worker's custom resource started on another node).</summary>
public sealed class ActorHostPlacementTests
{
    private static readonly SiloAddress Local = Silo(11111);
    private static readonly SiloAddress Joining = Silo(22222);

    [Fact]
    public async Task A_hinted_silo_that_is_not_a_target_yet_gets_the_activation_once_it_is()
    {
        // The joining silo becomes compatible on the fourth read, as when the placing silo fetches its manifest.
        var context = new Context(reads => reads >= 4 ? [Local, Joining] : [Local]);
        var director = new ActorHostPlacementDirector(_ => SiloStatus.Active, TimeSpan.FromSeconds(30));

        var placed = await director.OnAddActivation(ActorHostPlacement.Instance, Target(hint: Joining), context);

        Assert.Equal(Joining, placed);
        Assert.True(context.Reads >= 4, $"placement read the compatible silos {context.Reads} times");
    }

    [Theory]
    [InlineData(SiloStatus.Dead)]
    [InlineData(SiloStatus.ShuttingDown)]
    [InlineData(SiloStatus.Stopping)]
    public async Task A_hinted_silo_that_is_leaving_or_dead_is_not_waited_for(SiloStatus status)
    {
        var context = new Context(_ => [Local]);
        var director = new ActorHostPlacementDirector(_ => status, TimeSpan.FromMinutes(10));

        var placed = await director.OnAddActivation(ActorHostPlacement.Instance, Target(hint: Joining), context).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(Local, placed);
    }

    [Fact]
    public async Task A_hinted_silo_that_never_becomes_a_target_is_given_up_after_the_wait()
    {
        var context = new Context(_ => [Local]);
        var director = new ActorHostPlacementDirector(_ => SiloStatus.Active, TimeSpan.FromMilliseconds(200));

        var placed = await director.OnAddActivation(ActorHostPlacement.Instance, Target(hint: Joining), context).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(Local, placed);
        Assert.True(context.Reads > 1, "placement should have looked again while it waited");
    }

    [Fact]
    public async Task Without_a_hint_the_local_silo_gets_the_activation_and_a_compatible_hint_at_once()
    {
        var context = new Context(_ => [Joining, Local]);
        var director = new ActorHostPlacementDirector(_ => throw new InvalidOperationException("no wait expected"), TimeSpan.FromMinutes(10));

        Assert.Equal(Local, await director.OnAddActivation(ActorHostPlacement.Instance, Target(hint: null), context));
        Assert.Equal(Joining, await director.OnAddActivation(ActorHostPlacement.Instance, Target(hint: Joining), context));
    }

    private static SiloAddress Silo(int port) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 1);

    private static PlacementTarget Target(SiloAddress? hint)
    {
        var data = new Dictionary<string, object>();
        if (hint is not null)
        {
            data[Orleans.Runtime.Placement.IPlacementDirector.PlacementHintKey] = hint;
        }

        return new PlacementTarget(GrainId.Create("orleansray.actorhost", Guid.NewGuid().ToString("N")), data, default, 0);
    }

    /// <summary>A placing silo (<see cref="Local"/>, active) whose compatible silos are <paramref name="silos"/> of the
    /// read count so far (1 on the first read).</summary>
    private sealed class Context(Func<int, SiloAddress[]> silos) : IPlacementContext
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public SiloAddress LocalSilo => Local;

        public SiloStatus LocalSiloStatus => SiloStatus.Active;

        public SiloAddress[] GetCompatibleSilos(PlacementTarget target) => silos(Interlocked.Increment(ref _reads));

        public IReadOnlyDictionary<ushort, SiloAddress[]> GetCompatibleSilosWithVersions(PlacementTarget target) =>
            throw new NotSupportedException();
    }
}
