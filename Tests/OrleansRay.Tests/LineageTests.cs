using OrleansRay.Internal;
using OrleansRay.Ownership;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Lineage reconstruction with three nodes in this process and a connected driver (the owner): objects stored
/// on a node that leaves are rebuilt by running their tasks again; an argument kept only for lineage gives up its value
/// but not its lineage; what cannot be rebuilt fails with ObjectLostException saying why. (Killing a node process for
/// real: ObjectPathTests in the cluster tests.)</summary>
public sealed class LineageTests : IAsyncLifetime
{
    private const int N = 200_000; // 1.6 MB: stored, far above the inline threshold
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static double[] Ramp(int n, double seed) => Enumerable.Range(0, n).Select(i => seed + i).ToArray();

    public static double[] AddOne(double[] values) => values.Select(v => v + 1).ToArray();

    private static TaskOptions On(InProcessCluster.Node node, int maxRetries = 3) =>
        new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId, soft: true), MaxRetries = maxRetries };

    [Fact]
    public async Task Results_stored_on_a_node_that_leaves_are_rebuilt_recursively_and_the_unrebuildable_fail_saying_why()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var leaving = _cluster.Nodes[1];
        var first = ray.Task(Ramp, N, 100.0).Options(On(leaving)).Remote();
        var second = ray.Task(AddOne, first).Options(On(leaving)).Remote();
        var third = ray.Task(AddOne, second).Options(On(leaving)).Remote();
        var noRetries = ray.Task(Ramp, N, 5.0).Options(On(leaving, maxRetries: 0)).Remote();
        var (ready, _) = await ray.WaitAsync([first, second, third, noRetries], numReturns: 4, timeout: Deadline);
        Assert.Equal(4, ready.Count);

        await _cluster.StopNodeAsync(leaving);

        var rebuilt = await ray.GetAsync(third, Deadline);
        Assert.Equal(102.0, rebuilt[0]);
        Assert.Equal(102.0 + N - 1, rebuilt[^1]);
        Assert.Equal(101.0, (await ray.GetAsync(second, Deadline))[0]);
        var lost = await Assert.ThrowsAsync<ObjectLostException>(async () => await ray.GetAsync(noRetries, Deadline));
        Assert.Contains("MaxRetries = 0", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_argument_kept_only_for_lineage_gives_up_its_value_is_rebuilt_when_needed_and_goes_with_the_last_result()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var objects = ((RayDriver)ray).Runtime.Objects;
        var before = objects.Count;
        var maker = _cluster.Nodes[1];
        var makerStore = maker.Runtime.Store!.Client;

        var first = ray.Task(Ramp, N, 1.0).Options(On(maker)).Remote();
        var second = ray.Task(AddOne, first).Options(On(maker)).Remote();
        var (ready, _) = await ray.WaitAsync([second], numReturns: 1, timeout: Deadline);
        Assert.Equal(second.Id, Assert.Single(ready).Id);
        var firstId = LocalObjectStore.ToStoreId(first.Id);
        var firstObject = first.Id;
        Assert.True(await makerStore.ContainsAsync(firstId));

        // The driver lets go of the argument: its value is freed, its entry (lineage) stays for the second's sake.
        first.Dispose();
        await Eventually.TrueAsync(async () => !await makerStore.ContainsAsync(firstId), TimeSpan.FromSeconds(10), "the argument's value is freed");
        Assert.True(objects.TryGet(firstObject, out var kept) && kept.IsValueReleased, "the argument's lineage is kept");

        // The node holding the second leaves: rebuilding it needs the first, which is rebuilt too.
        await _cluster.StopNodeAsync(maker);
        var rebuilt = await ray.GetAsync(second, Deadline);
        Assert.Equal(2.0, rebuilt[0]);
        Assert.Equal(N + 1.0, rebuilt[^1]);

        // Freeing the last result frees its lineage and the argument's entry with it.
        second.Dispose();
        await Eventually.TrueAsync(() => objects.Count == before, TimeSpan.FromSeconds(10), "every entry is gone with the last ref");
    }

    [Fact]
    public async Task A_task_whose_argument_ref_was_disposed_before_it_ran_still_gets_the_argument()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var node = _cluster.Nodes[2];
        for (var i = 0; i < 5; i++)
        {
            var argument = ray.Task(Ramp, N, (double)i).Options(On(node)).Remote();
            var result = ray.Task(AddOne, argument).Options(On(node)).Remote();
            argument.Dispose(); // the driver lets go at once: the pending task's lineage keeps the argument rebuildable

            var values = await ray.GetAsync(result, Deadline);
            Assert.Equal(i + 1.0, values[0]);
            Assert.Equal(i + N + 0.0, values[^1]);
        }
    }

    /// <summary>The gates of <see cref="ReadAfterTheNodeLeaves"/> (the nodes share this process), made anew by the test.</summary>
    private static (SemaphoreSlim Learned, SemaphoreSlim Continue) s_gates = (new(0), new(0));

    /// <summary>A borrower (the ref arrives inside an array): learns where the object is stored, lets the test stop that
    /// node, then reads it.</summary>
    public static async Task<double> ReadAfterTheNodeLeaves(ObjectRef<double[]>[] refs)
    {
        var gates = s_gates;
        await Ray.Current.WaitAsync(refs, 1, TimeSpan.FromSeconds(30));
        gates.Learned.Release();
        if (!await gates.Continue.WaitAsync(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("the test did not let the borrower go on");
        }

        return (await refs[0])[0];
    }

    [Fact]
    public async Task A_borrower_that_learned_where_an_object_was_before_its_node_left_reads_the_rebuilt_object()
    {
        s_gates = (new SemaphoreSlim(0), new SemaphoreSlim(0));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var (leaving, borrowerNode) = (_cluster.Nodes[1], _cluster.Nodes[2]);
        var values = ray.Task(Ramp, N, 42.0).Options(On(leaving)).Remote();
        var read = ray.Task(ReadAfterTheNodeLeaves, new[] { values })
            .Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(borrowerNode.NodeId) })
            .Remote();
        // The borrower knows where the object is stored (the leaving node), without having read it.
        Assert.True(await s_gates.Learned.WaitAsync(Deadline), "the borrower learned where the object is");

        await _cluster.StopNodeAsync(leaving);
        s_gates.Continue.Release();

        // The owner rebuilds the object elsewhere; the borrower's read finds the copy it was told of gone, asks the
        // owner again, and gets the rebuilt value.
        Assert.Equal(42.0, await ray.GetAsync(read, Deadline));
        Assert.Equal(42.0 + N - 1, (await ray.GetAsync(values, Deadline))[^1]);
    }

    /// <summary>Runs of <see cref="RampHeldOnRerun"/>, and the gate its later runs wait at (the nodes share this process),
    /// made anew by the test.</summary>
    private static (int Runs, SemaphoreSlim Rerun) s_rerun = (0, new(0));

    /// <summary>Like <see cref="Ramp"/>, but a run after the first (a rebuild) waits until the test lets it go.</summary>
    public static double[] RampHeldOnRerun(int n, double seed)
    {
        if (Interlocked.Increment(ref s_rerun.Runs) > 1 && !s_rerun.Rerun.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("the test did not let the rebuild go on");
        }

        return Ramp(n, seed);
    }

    [Fact]
    public async Task A_get_with_a_timeout_ends_in_time_when_the_read_finds_the_object_lost_and_its_rebuild_takes_longer()
    {
        // A reviewer's GetAsync(refs, 60 s) of objects whose node had been killed never returned: the objects were
        // produced, so the wait ended at once, and the read that found them lost waited for their rebuild (by tasks no
        // live node could run) with no limit.
        s_rerun = (0, new SemaphoreSlim(0));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var maker = _cluster.Nodes[1];
        var made = ray.Task(RampHeldOnRerun, N, 7.0).Options(On(maker)).Remote();
        var (ready, _) = await ray.WaitAsync([made], numReturns: 1, timeout: Deadline);
        Assert.Equal(made.Id, Assert.Single(ready).Id);

        // The copy goes from the maker's store behind its owner's back, as with a node killed before anyone noticed.
        Assert.True(await maker.Runtime.Store!.Client.DeleteAsync(LocalObjectStore.ToStoreId(made.Id)));

        // The holder waits half the pull's 30 s for a copy it does not have before it says so; the timeout outlasts that,
        // so the read finds the copy lost, starts the rebuild (a second run, held) and waits for it within the timeout.
        var timeout = TimeSpan.FromSeconds(25);
        var one = await Assert.ThrowsAsync<GetTimeoutException>(async () => await ray.GetAsync(made, timeout).AsTask().WaitAsync(Deadline));
        Assert.Equal(timeout, one.Timeout);
        Assert.Equal(2, Volatile.Read(ref s_rerun.Runs));
        Assert.Contains("rebuilt from its lineage", one.Message, StringComparison.Ordinal);
        var many = await Assert.ThrowsAsync<GetTimeoutException>(() => ray.GetAsync([made], TimeSpan.FromSeconds(2)).WaitAsync(Deadline));
        Assert.Equal(TimeSpan.FromSeconds(2), many.Timeout);

        // Once the rebuild may finish, the value is there.
        s_rerun.Rerun.Release(10);
        Assert.Equal(7.0 + N - 1, (await ray.GetAsync(made, Deadline))[^1]);
    }

    [Fact]
    public async Task A_result_made_again_where_a_reader_pins_an_old_copy_of_it_is_stored_once_the_reader_lets_go()
    {
        // A rebuild ran on a node whose store held a copy of the lost object that a reader there still pinned (a buffer
        // not disposed yet): the result's put failed at once with "already exists", and the reader got that as the
        // task's failure instead of the rebuilt value.
        var store = _cluster.Nodes[0].Runtime.Store!;
        var id = ObjectId.NewId();
        var storeId = LocalObjectStore.ToStoreId(id);
        await store.Client.PutAsync(storeId, new byte[4096]);
        var pin = await store.Client.GetAsync(storeId, Deadline);

        var put = store.PutAsync(id, Ramp(N, 3.0), "result", CancellationToken.None).AsTask();
        await Eventually.TrueAsync(async () => !await store.Client.ContainsAsync(storeId) || put.IsCompleted, Deadline, "the old copy is deleted, pinned");
        Assert.False(put.IsFaulted, put.Exception?.ToString());

        pin.Dispose();
        var stored = await put.WaitAsync(Deadline);
        Assert.Equal(id, stored.Id);
        Assert.True(await store.Client.ContainsAsync(storeId));
    }
}

