using OrleansRay.Tests.Fixtures;
using OrleansRay.Train.Collective;
using Xunit;

namespace OrleansRay.Tests.Training.Collective;

/// <summary>The collectives between actor ranks on one embedded node (the ranks' inbox methods in a concurrency group,
/// as the trainer's workers have them).</summary>
[Collection(RayCollection.Name)]
public sealed class CommunicatorTests
{
    private readonly IRay _ray;

    public CommunicatorTests(RayFixture fixture) => _ray = fixture.Ray;

    public static TheoryData<int, int, ReduceOp> Shapes()
    {
        var data = new TheoryData<int, int, ReduceOp>();
        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            foreach (var (ranks, length) in new[] { (1, 5), (2, 7), (3, 2), (3, 1001), (4, 3), (4, 0), (4, 40_003) })
            {
                data.Add(ranks, length, op);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task AllReduce_of_floats_gives_every_rank_the_reduction_of_all(int ranks, int length, ReduceOp op)
    {
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var inputs = Inputs(ranks, length).Select(v => v.Select(x => (float)x).ToArray()).ToArray();

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, o) => p.AllReduceFloats(v, o), inputs[r], op).Remote());

        var expected = Expected(inputs.Select(v => v.Select(x => (double)x).ToArray()).ToArray(), op);
        foreach (var result in results)
        {
            Assert.Equal(length, result.Length);
            for (var i = 0; i < length; i++)
            {
                Assert.Equal(expected[i], result[i], 1e-3);
            }

            Assert.Equal(results[0], result); // the same bits on every rank
        }

    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task AllReduce_of_doubles_gives_every_rank_the_reduction_of_all(int ranks, int length, ReduceOp op)
    {
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var inputs = Inputs(ranks, length);

        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, o) => p.AllReduceDoubles(v, o), inputs[r], op).Remote());

        var expected = Expected(inputs, op);
        Assert.All(results, result => Assert.Equal(expected, result, (a, b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a))));
        Assert.All(results, result => Assert.Equal(results[0], result));
    }

    [Fact]
    public async Task A_large_buffer_travels_by_object_store_reference_and_a_small_one_inline()
    {
        await using var group = await PeerGroup.StartAsync(_ray, 3);
        var large = Inputs(3, 300_000); // 2.4 MB per rank: chunks of 800 KB, above the inline limit
        var results = await group.AllAsync(r => group.Peers[r].Task((p, v) => p.AllReduceDoubles(v, ReduceOp.Sum), large[r]).Remote());
        Assert.All(results, result => Assert.Equal(Expected(large, ReduceOp.Sum), result));
        var sent = await group.AllAsync(r => group.Peers[r].Task(p => p.Sent()).Remote());
        Assert.All(sent, s => Assert.Equal(new long[] { 0, 4 }, s)); // 2 (N-1) ring steps, each by reference

        var small = Inputs(3, 10);
        await group.AllAsync(r => group.Peers[r].Task((p, v) => p.AllReduceDoubles(v, ReduceOp.Sum), small[r]).Remote());
        sent = await group.AllAsync(r => group.Peers[r].Task(p => p.Sent()).Remote());
        Assert.All(sent, s => Assert.Equal(new long[] { 4, 4 }, s));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task AllReduce_works_in_place_and_returns_the_array_it_was_given(int ranks)
    {
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var inputs = Inputs(ranks, 1_000);
        var inPlace = await group.AllAsync(r => group.Peers[r].Task((p, v) => p.AllReducesInPlace(v), inputs[r]).Remote());
        Assert.All(inPlace, Assert.True);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(4, 2)]
    [InlineData(3, 0)]
    public async Task Broadcast_gives_every_rank_the_roots_value(int ranks, int root)
    {
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var results = await group.AllAsync(r => group.Peers[r].Task((p, v, at) => p.BroadcastString(v, at), $"value of rank {r}", root).Remote());
        Assert.All(results, value => Assert.Equal($"value of rank {root}", value));

        var big = Enumerable.Range(0, 50_000).Select(i => i * 0.5).ToArray(); // 400 KB: put once by the root, read from the store
        var bigs = await group.AllAsync(r => group.Peers[r].Task((p, v, at) => p.BroadcastDoubles(v, at), r == root ? big : new[] { -1.0 }, root).Remote());
        Assert.All(bigs, value => Assert.Equal(big, value));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task No_rank_passes_the_barrier_before_every_rank_arrived(int ranks)
    {
        await using var group = await PeerGroup.StartAsync(_ray, ranks);
        var early = Enumerable.Range(0, ranks - 1).Select(r => group.Peers[r].Task(p => p.Barrier()).Remote()).ToArray();
        await Eventually.TrueAsync(() => CollectivePeer.ArrivedAt(group.Id) == ranks - 1, TimeSpan.FromSeconds(30), "the early ranks enter the barrier");

        var passed = await _ray.WaitAsync(early, numReturns: early.Length, timeout: TimeSpan.Zero);
        Assert.Empty(passed.Ready); // nobody passed while the last rank had not arrived

        var last = group.Peers[ranks - 1].Task(p => p.Barrier()).Remote();
        var seen = await _ray.GetAsync(early.Append(last));
        Assert.All(seen, arrivedWhenPassing => Assert.Equal(ranks, arrivedWhenPassing));
    }

    [Fact]
    public async Task Consecutive_and_overlapping_collectives_do_not_mix()
    {
        const int Ranks = 3, Rounds = 6;
        await using var group = await PeerGroup.StartAsync(_ray, Ranks);
        var results = await group.AllAsync(r => group.Peers[r].Task((p, n) => p.Sequence(n), Rounds).Remote());

        var expected = new List<double>();
        for (var k = 0; k < Rounds; k++)
        {
            var root = k % Ranks;
            expected.AddRange(new[] { 6.0 * (k + 1), 200 + k, 1000.0 * k + root, k, 3 });
        }

        Assert.All(results, result => Assert.Equal(expected, result));
    }

    [Fact]
    public async Task Buffers_of_different_lengths_are_refused_on_every_rank_with_a_clear_error()
    {
        await using var group = await PeerGroup.StartAsync(_ray, 4);
        var lengths = new[] { 10, 10, 12, 10 };
        var calls = Enumerable.Range(0, 4).Select(r => group.Peers[r].Task((p, v) => p.AllReduceFloats(v, ReduceOp.Sum), new float[lengths[r]]).Remote()).ToArray();

        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<RayTaskException>(async () => await call);
            Assert.Matches(@"rank [23] passed 1[02] elements but rank [12] passed 1[02]", error.Message);
            Assert.Contains("every rank must pass a buffer of the same length", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_peer_that_died_fails_the_waiting_allreduce_instead_of_hanging_it()
    {
        await using var group = await PeerGroup.StartAsync(_ray, 3);
        await _ray.KillAsync(group.Peers[2]);

        var waiting = Enumerable.Range(0, 2).Select(r => group.Peers[r].Task(p => p.AllReduceUntilCancelled(new float[] { 1, 2, 3 })).Remote()).ToArray();

        // Rank 1's send to its right neighbour (rank 2) fails; it tells rank 0, which waits for rank 2's message.
        // (A dead peer's ActorDiedException passes out of the rank's call as it is, as Ray's RayActorError does.)
        var sender = await Assert.ThrowsAsync<ActorDiedException>(async () => await waiting[1]);
        Assert.Contains("killed by ray.KillAsync", sender.Message, StringComparison.Ordinal);
        var receiver = await Assert.ThrowsAsync<RayTaskException>(async () => await waiting[0]);
        Assert.Equal(typeof(CollectiveAbortedException).FullName, receiver.OriginalExceptionType);
        Assert.Contains("rank 1 aborted collective #1", receiver.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_allreduce_ends_with_OperationCanceledException_and_aborts_its_peers()
    {
        await using var group = await PeerGroup.StartAsync(_ray, 3);
        var waiting = group.Peers[0].Task(p => p.AllReduceUntilCancelled(new float[] { 1 })).Remote();
        var other = group.Peers[1].Task(p => p.AllReduceUntilCancelled(new float[] { 1 })).Remote(); // rank 2 never joins

        await group.Peers[0].Task(p => p.Cancel()).Remote();

        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await waiting);
        Assert.Contains("Canceled", error.OriginalExceptionType, StringComparison.Ordinal);
        var aborted = await Assert.ThrowsAsync<RayTaskException>(async () => await other);
        Assert.Equal(typeof(CollectiveAbortedException).FullName, aborted.OriginalExceptionType);
        Assert.Contains("rank 0's collective was cancelled", aborted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_their_name()
    {
        var transport = new NoTransport();
        Assert.Throws<ArgumentOutOfRangeException>("rank", () => new Communicator(_ray, "g", 3, 3, transport));
        Assert.Throws<ArgumentOutOfRangeException>("worldSize", () => new Communicator(_ray, "g", 0, 0, transport));
        Assert.Throws<ArgumentException>("groupId", () => new Communicator(_ray, " ", 0, 1, transport));
        var single = new Communicator(_ray, "g-" + Guid.NewGuid(), 0, 2, transport);
        Assert.Throws<ArgumentOutOfRangeException>("root", () => { _ = single.BroadcastAsync(1, 2, default); });
        Assert.Throws<ArgumentOutOfRangeException>("op", () => { _ = single.AllReduceAsync(new float[1], (ReduceOp)9, default); });
        Assert.Throws<ArgumentNullException>("values", () => { _ = single.AllReduceAsync((float[])null!, ReduceOp.Sum, default); });
    }

    [Fact]
    public async Task Dropping_a_group_fails_its_waits_and_discards_its_later_messages()
    {
        var id = "g-" + Guid.NewGuid();
        var rank0 = new Communicator(_ray, id, 0, 2, new NoTransport());
        var wait = rank0.BarrierAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);

        CollectiveInbox.Drop(id);

        var error = await Assert.ThrowsAsync<CollectiveAbortedException>(() => wait);
        Assert.Contains($"'{id}' was dropped", error.Message, StringComparison.Ordinal);
        CollectiveInbox.Deliver(new CollectiveMessage { GroupId = id, FromRank = 1, ToRank = 0, Sequence = 2 });
        Assert.False(CollectiveInbox.Holds(id));
    }

    internal static double[][] Inputs(int ranks, int length) =>
        Enumerable.Range(0, ranks).Select(r => Enumerable.Range(0, length).Select(i => ((i * 7 + r * 13) % 23) - 11.5 + r * 0.25).ToArray()).ToArray();

    internal static double[] Expected(double[][] inputs, ReduceOp op) =>
        Enumerable.Range(0, inputs[0].Length).Select(i => op switch
        {
            ReduceOp.Sum => inputs.Sum(v => v[i]),
            ReduceOp.Mean => inputs.Sum(v => v[i]) / inputs.Length,
            ReduceOp.Max => inputs.Max(v => v[i]),
            _ => inputs.Min(v => v[i]),
        }).ToArray();

    /// <summary>A transport that delivers nothing (for the tests of a lone rank).</summary>
    private sealed class NoTransport : ICollectiveTransport
    {
        public Task SendAsync(int toRank, CollectiveMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
