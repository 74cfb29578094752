using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Actors;

/// <summary><see cref="IRay.ListNamedActorsAsync"/> (Ray's <c>ray.util.list_named_actors</c>) on an embedded node of its
/// own, so what it lists is this class's actors only.</summary>
public sealed class NamedActorListTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private IRay _ray = null!;

    public async Task InitializeAsync() => _ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, Namespace = "listing" });

    public async Task DisposeAsync() => await _ray.DisposeAsync();

    private static string Names(IEnumerable<NamedActor> actors) => string.Join(",", actors.Select(a => $"{a.Namespace}/{a.Name}"));

    [Fact]
    public async Task Named_actors_of_the_drivers_namespace_or_of_every_namespace_are_listed_while_they_live()
    {
        Assert.Empty(await _ray.ListNamedActorsAsync());
        Assert.Empty(await _ray.ListNamedActorsAsync(allNamespaces: true));

        var b = _ray.Actor(() => new Counter()).Options(new ActorOptions { Name = "b" }).Remote();
        var a = _ray.Actor(() => new Counter()).Options(new ActorOptions { Name = "a", Lifetime = ActorLifetime.Detached }).Remote();
        var elsewhere = _ray.Actor(() => new Counter()).Options(new ActorOptions { Name = "c", Namespace = "other" }).Remote();
        var unnamed = _ray.Actor(() => new Counter()).Remote();
        var grain = await _ray.CreateActorAsync<TestGrainActors.ICounterActor>(new ActorOptions { Name = "g" });
        Assert.Equal(1, await _ray.GetAsync(b.Task(c => c.Increment()).Remote(), Deadline)); // all created
        Assert.Equal(1, await grain.Increment());

        var mine = await _ray.ListNamedActorsAsync();
        Assert.Equal("listing/a,listing/b,listing/g", Names(mine));
        Assert.Equal(typeof(Counter).FullName, mine[0].ClassName);
        Assert.Equal(a.ActorId, mine[0].ActorId);
        Assert.Equal(typeof(TestGrainActors.ICounterActor).FullName, mine[2].ClassName);
        Assert.Equal("listing/a,listing/b,listing/g,other/c", Names(await _ray.ListNamedActorsAsync(allNamespaces: true)));

        // What a listing names can be looked up by it.
        var found = await _ray.GetActorAsync<Counter>(mine[1].Name, mine[1].Namespace);
        Assert.Equal(2, await _ray.GetAsync(found.Task(c => c.Increment()).Remote(), Deadline));

        await _ray.KillAsync(b);
        await _ray.KillAsync(elsewhere);
        await _ray.KillAsync(unnamed);
        await Eventually.TrueAsync(async () => Names(await _ray.ListNamedActorsAsync(allNamespaces: true)) == "listing/a,listing/g", Deadline,
            "killed actors leave the listing");
        await _ray.KillAsync(a);
    }
}

/// <summary>Empty namespaces are refused where they are given, naming the option.</summary>
public sealed class NamedActorNamespaceTests
{
    [Fact]
    public async Task An_empty_namespace_is_refused_at_creation_and_at_lookup_with_what_to_do()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "edges" });
        var create = Assert.Throws<ArgumentException>(() => ray.Actor(() => new Counter()).Options(new ActorOptions { Name = "x", Namespace = " " }).Remote());
        Assert.Equal("Namespace", create.ParamName);
        Assert.Contains("ActorOptions.Namespace is empty: name one, or leave it null", create.Message);
        var lookup = await Assert.ThrowsAsync<ArgumentException>(() => ray.GetActorAsync<Counter>("x", ""));
        Assert.Equal("namespace", lookup.ParamName);
        Assert.Contains("namespace is empty", lookup.Message);
    }
}

/// <summary><see cref="IRay.ListNamedActorsAsync"/> across a cluster of two nodes: one connected driver lists what another
/// created, in its namespace and in every one, and an actor whose node leaves is no longer listed.</summary>
public sealed class NamedActorListClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_driver_lists_the_named_actors_another_driver_created_until_their_node_leaves()
    {
        await using var creator = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "team" });
        await using var lister = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, Namespace = "ops" });
        var leaving = _cluster.Nodes[1];
        var onLeaving = creator.Actor(() => new Counter())
            .Options(new ActorOptions { Name = "doomed", SchedulingStrategy = SchedulingStrategy.NodeAffinity(leaving.NodeId) }).Remote();
        var staying = creator.Actor(() => new Counter())
            .Options(new ActorOptions { Name = "kept", SchedulingStrategy = SchedulingStrategy.NodeAffinity(_cluster.Nodes[0].NodeId) }).Remote();
        Assert.Equal(1, await creator.GetAsync(onLeaving.Task(c => c.Increment()).Remote(), Deadline));
        Assert.Equal(1, await creator.GetAsync(staying.Task(c => c.Increment()).Remote(), Deadline));

        Assert.Empty(await lister.ListNamedActorsAsync()); // its own namespace has none
        var all = await lister.ListNamedActorsAsync(allNamespaces: true);
        Assert.Equal(["team/doomed", "team/kept"], all.Select(a => $"{a.Namespace}/{a.Name}"));
        Assert.Equal(onLeaving.ActorId, all[0].ActorId);

        await _cluster.StopNodeAsync(leaving);
        await Eventually.TrueAsync(async () => (await lister.ListNamedActorsAsync(allNamespaces: true)).Select(a => a.Name).SequenceEqual(["kept"]), Deadline,
            "the actor of the node that left (no restarts allowed) is no longer listed");
        Assert.Equal("kept", Assert.Single(await creator.ListNamedActorsAsync()).Name);
    }
}
