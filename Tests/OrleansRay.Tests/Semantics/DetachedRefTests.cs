using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests.Semantics;

/// <summary>A ref its owner's submit or put returned, read once and never shared, holds its entry alone: the entry leaves
/// the owner's table, so the ref, the entry and the value die young together (ADR 0026). Sharing
/// the ref afterwards (a task argument, a copy inside a value, serialization, Dispose) puts the entry back first, so
/// whoever gets the ref finds the object by id, as before.</summary>
[Collection(RayCollection.Name)]
public sealed class DetachedRefTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public DetachedRefTests(RayFixture fixture) => _ray = fixture.Ray;

    private Node.NodeRuntime Runtime => ((Internal.IRayRuntimeAccess)_ray).Runtime;

    private bool InTable(ObjectRef r) => Runtime.Objects.TryGet(r.Id, out _);

    [Fact]
    public async Task A_task_result_read_once_leaves_the_table_and_still_reads_and_waits()
    {
        var r = _ray.Task(Square, 7).Remote();
        Assert.Equal(49, await _ray.GetAsync(r, Deadline));
        Assert.False(InTable(r), "the read ref's entry stayed in the owner's table");

        Assert.Equal(49, await _ray.GetAsync(r, Deadline)); // read again through the ref
        Assert.Equal(new[] { 49 }, await _ray.GetAsync(new[] { r }, Deadline));
        var waited = await _ray.WaitAsync(new[] { r }, numReturns: 1, timeout: Deadline);
        Assert.Same(r, Assert.Single(waited.Ready));
    }

    [Fact]
    public async Task A_result_a_wait_finds_ready_leaves_the_table_reads_and_goes_back_when_shared()
    {
        var gate = $"detach-wait-{Guid.NewGuid():N}";
        var r = _ray.Task(Square, 8).Remote();
        var pending = _ray.Task(WaitForGate, gate).Remote();
        try
        {
            Assert.Same(r, Assert.Single((await _ray.WaitAsync(new[] { r }, numReturns: 1, timeout: Deadline)).Ready));

            // Complete now, so this wait answers from its first look, which takes a ready ref out as a get would; the
            // ref it looked at first and found not ready stays in the table.
            var waited = await _ray.WaitAsync(new ObjectRef<int>[] { pending, r }, numReturns: 1, timeout: Deadline);
            Assert.Same(r, Assert.Single(waited.Ready));
            Assert.Same(pending, Assert.Single(waited.NotReady));
            Assert.False(InTable(r), "the ref a wait found ready stayed in the owner's table");
            Assert.True(InTable(pending), "a ref not ready left the owner's table");

            Assert.Equal(64, await _ray.GetAsync(r, Deadline));
            Assert.Equal(65, await _ray.GetAsync(_ray.Task(Sum2, r, 1).Remote(), Deadline));
            Assert.True(InTable(r), "the waited ref did not go back to the table when it was passed to a task");
        }
        finally
        {
            Functions.Gates.Get(gate).Set(); // the gated task's worker thread is free again even when an assertion failed
        }

        Assert.Equal(1, await _ray.GetAsync(pending, Deadline));
    }

    [Fact]
    public async Task A_failed_result_a_wait_finds_ready_stays_in_the_table()
    {
        var failed = _ray.Task(Throw, 3).Remote();
        Assert.Same(failed, Assert.Single((await _ray.WaitAsync(new[] { failed }, numReturns: 1, timeout: Deadline)).Ready));
        Assert.Same(failed, Assert.Single((await _ray.WaitAsync(new[] { failed }, numReturns: 1, timeout: Deadline)).Ready));

        // A failure stays where the state API lists it, as a get (which throws) leaves it.
        Assert.True(InTable(failed), "a failed object a wait found ready left the owner's table");
        var error = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(failed, Deadline));
        Assert.Contains("bad input 3", error.Message);
    }

    [Fact]
    public async Task A_read_ref_shared_after_its_owner_shut_down_does_not_put_its_object_back()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 0, Namespace = "detach-after-clear" });
        ObjectRef<int> r;
        Node.NodeRuntime runtime;
        try
        {
            runtime = ((Internal.IRayRuntimeAccess)ray).Runtime;
            r = ray.Task(Square, 6).Remote();
            Assert.Equal(36, await ray.GetAsync(r, Deadline));
            Assert.False(runtime.Objects.TryGet(r.Id, out _), "the read ref's entry stayed in the owner's table");
        }
        finally
        {
            await ray.DisposeAsync(); // the owner shuts down: its table is cleared
        }

        r.Share(); // a late share (a copy, a serialization) of the ref that held the entry alone
        Assert.False(runtime.Objects.TryGet(r.Id, out _), "a share after the owner shut down put the object back in its table");
        Assert.Empty(runtime.Objects.Entries);
    }

    [Fact]
    public async Task A_put_and_an_actor_calls_result_read_once_leave_the_table_too()
    {
        var put = await _ray.PutAsync(5);
        Assert.Equal(5, await _ray.GetAsync(put, Deadline));
        Assert.False(InTable(put), "the read put's entry stayed in the owner's table");

        var counter = _ray.Actor(() => new Actors.Counter(10)).Remote();
        var call = counter.Task(c => c.Increment()).Remote();
        Assert.Equal(11, await _ray.GetAsync(call, Deadline));
        Assert.False(InTable(call), "the read call result's entry stayed in the owner's table");
    }

    [Fact]
    public async Task A_read_ref_passed_to_a_task_goes_back_to_the_table_and_stays_there()
    {
        var r = _ray.Task(Square, 3).Remote();
        Assert.Equal(9, await _ray.GetAsync(r, Deadline));
        Assert.False(InTable(r));

        Assert.Equal(10, await _ray.GetAsync(_ray.Task(Sum2, r, 1).Remote(), Deadline));
        Assert.True(InTable(r), "a shared ref's entry is not in its owner's table");

        Assert.Equal(9, await _ray.GetAsync(r, Deadline));
        Assert.True(InTable(r), "a ref detached again after it was shared");
    }

    [Fact]
    public async Task A_read_ref_copied_into_a_put_value_is_counted_there_and_read_through_the_copy()
    {
        var r = _ray.Task(Square, 4).Remote();
        Assert.Equal(16, await _ray.GetAsync(r, Deadline));

        var holder = await _ray.PutAsync(new List<ObjectRef<int>> { r });
        Assert.True(InTable(r), "the ref copied into a value did not put its entry back");
        Assert.Equal(16, await _ray.GetAsync(_ray.Task(SumRefs, holder).Remote(), Deadline));

        var copies = await _ray.GetAsync(holder, Deadline);
        Assert.Equal(16, await _ray.GetAsync(copies[0], Deadline));
        Assert.True(InTable(r), "a copy's read took the entry from under the original ref");
    }

    [Fact]
    public async Task A_ref_shared_before_its_first_read_never_leaves_the_table()
    {
        var r = await _ray.PutAsync(6);
        Assert.Equal(36, await _ray.GetAsync(_ray.Task(Square, r).Remote(), Deadline));
        Assert.Equal(6, await _ray.GetAsync(r, Deadline));
        Assert.True(InTable(r));
    }

    [Fact]
    public async Task Disposing_a_read_ref_frees_its_object_once_and_a_stored_object_never_leaves_the_table()
    {
        var r = _ray.Task(Square, 5).Remote();
        Assert.Equal(25, await _ray.GetAsync(r, Deadline));
        r.Dispose();
        Assert.False(InTable(r));
        r.Dispose(); // a second dispose finds nothing to release

        // A value in the object store: its copies are freed by the table when the ref goes, so the entry stays there.
        var large = await _ray.PutAsync(new double[1_000_000]);
        Assert.Equal(1_000_000, (await _ray.GetAsync(large, Deadline)).Length);
        Assert.True(InTable(large), "a stored object's entry left the owner's table");
    }

    [Fact]
    public async Task Reads_and_shares_of_one_ref_racing_on_several_threads_all_find_the_object()
    {
        for (var round = 0; round < 200; round++)
        {
            var r = _ray.Task(Square, round % 50).Remote();
            var expected = (round % 50) * (round % 50);
            using var start = new Barrier(3);
            var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                start.SignalAndWait(Deadline);
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal(expected, await _ray.GetAsync(r, Deadline));
                }
            })).ToList();
            var sharer = Task.Run(async () =>
            {
                start.SignalAndWait(Deadline);
                return await _ray.GetAsync(_ray.Task(Sum2, r, 1).Remote(), Deadline);
            });

            await Task.WhenAll(readers).WaitAsync(Deadline);
            Assert.Equal(expected + 1, await sharer.WaitAsync(Deadline));
            Assert.True(InTable(r), $"round {round}: the shared ref's entry is not in the table");
            Assert.Equal(expected, await _ray.GetAsync(r, Deadline));
        }
    }
}
