using OrleansRay.Internal;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.MultipleReturns;

/// <summary>Two nodes in this process, shared by the tests of <see cref="MultipleReturnsDistributedTests"/>.</summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    public InProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Ray's <c>num_returns</c> across nodes: a connected driver owns the returns of a task or actor call that runs
/// on the far node; each return travels back as an object of its own (a large one stays in the far node's store alone,
/// small ones come back inline), is freed on its own, and is read by tasks elsewhere.</summary>
public sealed class MultipleReturnsDistributedTests : IClassFixture<TwoNodeFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly InProcessCluster _cluster;

    public MultipleReturnsDistributedTests(TwoNodeFixture fixture) => _cluster = fixture.Cluster;

    private InProcessCluster.Node Far => _cluster.Nodes[1];

    private InProcessCluster.Node Near => _cluster.Nodes[0];

    private static TaskOptions On(InProcessCluster.Node node) => new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };

    [Fact]
    public async Task Returns_of_a_task_on_the_far_node_are_objects_of_their_own_stored_read_and_freed_separately()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var objects = ((IRayRuntimeAccess)ray).Runtime.Objects;
        var farStore = Far.Runtime.Store!.Client;

        Assert.Equal((Far.NodeId.Value, Far.NodeId.Value), await Both(ray.Task(ReturnsFunctions.WhereTwice).Options(On(Far)).RemoteMany()));

        var (small, large, name) = ray.Task(ReturnsFunctions.SmallLargeSmall, 8).Options(On(Far)).RemoteMany();
        Assert.Equal(8, await small);
        Assert.Equal("n8", await name);
        Assert.Equal(-8.0, (await ray.GetAsync(large, Deadline))[^1]);

        // The large element stays in the far node's store under its own id; the small ones came back inline.
        Assert.True(objects.TryGet(large.Id, out var largeEntry));
        Assert.NotNull(largeEntry.StoredObject);
        Assert.True(await farStore.ContainsAsync(LocalObjectStore.ToStoreId(large.Id)));
        foreach (var inline in new ObjectRef[] { small, name })
        {
            Assert.True(objects.TryGet(inline.Id, out var entry));
            Assert.Null(entry.StoredObject);
            Assert.False(await farStore.ContainsAsync(LocalObjectStore.ToStoreId(inline.Id)));
        }

        // Each ref, passed to a task on the other node, resolves to its element.
        Assert.Equal("n8:200000:8", await ray.Task(ReturnsFunctions.Describe, name, large).Options(On(Near)).Remote());
        Assert.Equal(9, await ray.Task(ReturnsFunctions.Add, small, 1).Options(On(Near)).Remote());

        // One freed early: gone from the owner's table (and a stored one from the store), the others still readable.
        name.Dispose();
        await Eventually.TrueAsync(() => !objects.TryGet(name.Id, out _), Deadline, "the freed return leaves the owner's table");
        large.Dispose();
        await Eventually.TrueAsync(async () => !await farStore.ContainsAsync(LocalObjectStore.ToStoreId(large.Id)), Deadline, "the freed large return leaves the far node's store");
        Assert.False(objects.TryGet(large.Id, out _));
        Assert.Equal(8, await small);
        Assert.True(objects.TryGet(small.Id, out _));
    }

    [Fact]
    public async Task When_one_return_cannot_be_stored_every_ref_fails_and_the_returns_already_stored_are_deleted()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var farStore = Far.Runtime.Store!.Client;

        // The far node stores the large second return, then fails to store the first (larger than its store).
        var (huge, large) = ray.Task(ReturnsFunctions.HugeThenLarge, 3).Options(On(Far)).RemoteMany();

        var error = await Assert.ThrowsAnyAsync<RayException>(async () => await ray.GetAsync(huge, Deadline));
        Assert.IsNotType<GetTimeoutException>(error);
        await Assert.ThrowsAnyAsync<RayException>(async () => await ray.GetAsync(large, Deadline));
        // Its owner fails both without ever learning where the second was put: the far node deletes that copy itself
        // (it stayed in the store, a leak, while the failed ref lived).
        await Eventually.TrueAsync(async () => !await farStore.ContainsAsync(LocalObjectStore.ToStoreId(large.Id)), Deadline,
            "the stored second return of a failed result leaves the far node's store");
        GC.KeepAlive(large);
    }

    [Fact]
    public async Task A_failing_task_or_actor_method_on_the_far_node_fails_every_ref_and_an_actor_returns_stored_and_inline_elements()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var objects = ((IRayRuntimeAccess)ray).Runtime.Objects;

        var (a, b, c) = ray.Task(ReturnsFunctions.Fail, 5).Options(On(Far)).RemoteMany();
        var errors = new List<RayTaskException>();
        foreach (var r in new[] { a, b, c })
        {
            errors.Add(await Assert.ThrowsAsync<RayTaskException>(async () => await r));
        }

        Assert.All(errors, e => Assert.Equal("split failed for 5", e.OriginalMessage));

        var ledger = ray.Actor(() => new Ledger()).Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(Far.NodeId) }).Remote();
        var (total, text, audit) = ledger.Task((l, amount) => l.Deposit(amount), 4).RemoteMany();
        Assert.Equal((4, "4"), (await total, await text));
        Assert.Equal(4L, (await ray.GetAsync(audit, Deadline))[0]);
        Assert.True(objects.TryGet(audit.Id, out var auditEntry));
        Assert.NotNull(auditEntry.StoredObject);
        Assert.True(await Far.Runtime.Store!.Client.ContainsAsync(LocalObjectStore.ToStoreId(audit.Id)), "the actor's large return is in its node's store");
        Assert.True(objects.TryGet(total.Id, out var totalEntry));
        Assert.Null(totalEntry.StoredObject);
        Assert.Equal(5, await ray.Task(ReturnsFunctions.Add, total, 1).Options(On(Near)).Remote());

        var (x, y) = ledger.Task((l, amount) => l.Overdraw(amount), 2).RemoteMany();
        var first = await Assert.ThrowsAsync<RayTaskException>(async () => await x);
        var second = await Assert.ThrowsAsync<RayTaskException>(async () => await y);
        Assert.Equal("overdraw by 2 refused", first.OriginalMessage);
        Assert.Equal(first.Message, second.Message);
    }

    private static async Task<(T1, T2)> Both<T1, T2>((ObjectRef<T1> First, ObjectRef<T2> Second) refs) => (await refs.First, await refs.Second);
}
