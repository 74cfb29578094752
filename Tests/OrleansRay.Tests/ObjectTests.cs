using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

[Collection(RayCollection.Name)]
public sealed class ObjectTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public ObjectTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Put_then_get_round_trips_a_large_array()
    {
        var data = new double[10_000_000];
        data[123] = 4.5;
        ObjectRef<double[]> r = await _ray.PutAsync(data);
        double[] back = await _ray.GetAsync(r);
        Assert.Equal(data.Length, back.Length);
        Assert.Equal(4.5, back[123]);
    }

    [Fact]
    public async Task Put_values_are_immutable_snapshots()
    {
        var list = new List<int> { 1, 2 };
        var r = await _ray.PutAsync(list);
        list.Add(3);
        var first = await r;
        first.Add(99);
        Assert.Equal(new[] { 1, 2 }, await r);
    }

    [Fact]
    public async Task Get_with_a_timeout_throws_GetTimeoutException_carrying_the_timeout()
    {
        var gate = Guid.NewGuid().ToString();
        var r = _ray.Task(WaitForGate, gate).Remote();
        var ex = await Assert.ThrowsAsync<GetTimeoutException>(async () => await _ray.GetAsync(r, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(TimeSpan.FromMilliseconds(100), ex.Timeout);
        Gates.Get(gate).Set();
        Assert.Equal(1, await _ray.GetAsync(r, Deadline));
        var many = await Assert.ThrowsAsync<GetTimeoutException>(async () =>
            await _ray.GetAsync(new[] { _ray.Task(WaitForGate, gate + "x").Remote() }, TimeSpan.FromMilliseconds(50)));
        Assert.Contains("not ready", many.Message);
        Gates.Get(gate + "x").Set();
    }

    [Fact]
    public async Task Wait_returns_ready_refs_in_input_order_up_to_numReturns()
    {
        var gate = Guid.NewGuid().ToString();
        var slow = _ray.Task(WaitForGate, gate).Remote();
        var a = _ray.Task(Square, 2).Remote();
        var b = _ray.Task(Square, 3).Remote();
        await _ray.GetAsync(new[] { a, b });
        var refs = new[] { slow, b, a };

        var (ready, notReady) = await _ray.WaitAsync(refs, numReturns: 2, timeout: TimeSpan.FromSeconds(1));
        Assert.Equal(new[] { b, a }, ready);
        Assert.Equal(new[] { slow }, notReady);

        var (one, rest) = await _ray.WaitAsync(refs, numReturns: 1);
        Assert.True(one.Count == 1, "one ref is ready");
        Assert.Equal(2, rest.Count);

        var timedOut = await _ray.WaitAsync(refs, numReturns: 3, timeout: TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, timedOut.Ready.Count);

        Gates.Get(gate).Set();
        var all = await _ray.WaitAsync(refs, numReturns: 3);
        Assert.Equal(refs, all.Ready);
        Assert.Empty(all.NotReady);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _ray.WaitAsync(refs, numReturns: 4));
    }

    [Fact]
    public async Task Wait_answered_from_the_ready_refs_it_finds_first_keeps_the_input_order_in_both_lists()
    {
        var gate = Guid.NewGuid().ToString();
        var slow1 = _ray.Task(WaitForGate, gate).Remote();
        var slow2 = _ray.Task(WaitForGate, gate).Remote();
        var a = _ray.Task(Square, 2).Remote();
        var b = _ray.Task(Square, 3).Remote();
        var c = _ray.Task(Square, 4).Remote();
        await _ray.GetAsync(new[] { a, b, c });

        // Enough ready refs before the end: the refs after the last one needed are not looked at, and land in
        // NotReady in their input order (c is ready, but only two were asked for).
        var refs = new List<ObjectRef<int>> { a, slow1, b, slow2, c };
        var wait = _ray.WaitAsync(refs, numReturns: 2);
        refs.Clear(); // the answer is the list as it was at the call
        var (ready, notReady) = await wait;
        Assert.Equal(new[] { a, b }, ready);
        Assert.Equal(new[] { slow1, slow2, c }, notReady);

        // Not enough ready: the wait proper, which still answers in input order.
        var order = new[] { slow1, a, slow2 };
        var pending = new List<ObjectRef<int>>(order);
        var waiting = _ray.WaitAsync(pending, numReturns: 2, timeout: Deadline);
        pending.Clear();
        Gates.Get(gate).Set();
        var (both, left) = await waiting;
        Assert.Equal(2, both.Count);
        Assert.True(Array.IndexOf(order, both[0]) < Array.IndexOf(order, both[1]), "ready refs keep their input order");
        Assert.Equal(order.Except(both), left);

        // Ready refs a prefix of the input: NotReady is the rest, which a wait over it slices again; the input as it
        // was at the call, whatever the caller does with its list afterwards.
        var inOrder = new List<ObjectRef<int>> { a, b, c, slow1, slow2 };
        var first = await _ray.WaitAsync(inOrder, numReturns: 1);
        inOrder[1] = slow1;
        Assert.Equal(new[] { a }, first.Ready);
        Assert.Equal(new[] { b, c, slow1, slow2 }, first.NotReady);
        var second = await _ray.WaitAsync(first.NotReady, numReturns: 2);
        Assert.Equal(new[] { b, c }, second.Ready);
        Assert.Equal(new[] { slow1, slow2 }, second.NotReady);
        Assert.Equal(slow2, second.NotReady[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => second.NotReady[2]);
        Assert.Equal(new[] { b, c, slow1, slow2 }, first.NotReady); // an answer is not changed by a later one

        // Bad input fails the returned task, not the call.
        var bad = _ray.WaitAsync(new ObjectRef<int>[] { a, null! }, numReturns: 1);
        await Assert.ThrowsAsync<ArgumentException>(() => bad);
    }

    [Fact]
    public async Task Wait_accepts_a_mixed_list_of_refs()
    {
        var mixed = new List<ObjectRef> { _ray.Task(Square, 2).Remote(), await _ray.PutAsync("text") };
        var (ready, _) = await _ray.WaitAsync(mixed, numReturns: 2, timeout: Deadline);
        Assert.Equal(2, ready.Count);
        Assert.All(ready, r => Assert.NotEqual(default, r.Id));
    }

    [Fact]
    public async Task GetBufferAsync_views_an_array_without_copying()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();
        var r = await _ray.PutAsync(data);
        using ObjectBuffer<double> view = await _ray.GetBufferAsync<double>(r);
        Assert.Equal(1000, view.Length);
        Assert.Equal(999.0, view.Span[999]);
        view.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view.Span.Length);
    }

    [Fact]
    public async Task Unserializable_values_are_refused_at_Remote_and_Put_naming_the_type()
    {
        var bad = new NotSerializable();
        var ex = Assert.Throws<ArgumentException>(() => _ray.Task((NotSerializable n) => n.Value, bad).Remote());
        Assert.Contains(typeof(NotSerializable).FullName!, ex.Message);
        var ex2 = await Assert.ThrowsAsync<ArgumentException>(async () => await _ray.PutAsync(bad));
        Assert.Contains(typeof(NotSerializable).FullName!, ex2.Message);
    }

    [Fact]
    public async Task Records_marked_GenerateSerializer_tuples_and_collections_travel()
    {
        Assert.Equal(7, await _ray.Task(ReadPoint, new Point(3, 4)).Remote());
        var dict = await _ray.PutAsync(new Dictionary<string, int> { ["a"] = 1 });
        Assert.Equal(1, (await dict)["a"]);
        var tuple = await _ray.PutAsync((1, "two"));
        Assert.Equal("two", (await tuple).Item2);
    }

    [Fact]
    public async Task Refs_inside_stored_objects_stay_usable()
    {
        var inner = _ray.Task(Square, 9).Remote();
        var outer = await _ray.PutAsync(new List<ObjectRef<int>> { inner });
        var list = await outer;
        Assert.Equal(81, await list[0]);
    }

    [Fact]
    public async Task A_large_collection_of_refs_keeps_the_objects_it_refers_to_alive()
    {
        var outer = await PutRefsAsync(_ray, 20_000);   // 20,000 refs: above the inline threshold by count
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var refs = await outer;
        Assert.Equal(19_999, await refs[19_999]);
        Assert.Equal(0, await refs[0]);
    }

    private static async Task<ObjectRef<List<ObjectRef<int>>>> PutRefsAsync(IRay ray, int count)
    {
        var list = new List<ObjectRef<int>>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(await ray.PutAsync(i));
        }

        return await ray.PutAsync(list);
    }

    [Fact]
    public async Task Released_refs_free_their_objects()
    {
        var runtime = ((Internal.IRayRuntimeAccess)_ray).Runtime;
        await PutAndDropAsync(_ray, 2000);
        var afterPut = runtime.Objects.Count;
        Assert.True(afterPut >= 0);
        await Eventually.TrueAsync(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return runtime.Objects.Count <= afterPut - 1500;
        }, Deadline, "collected refs release their objects");

        var kept = await _ray.PutAsync(5);
        kept.Dispose();
        Assert.False(runtime.Objects.TryGet(kept.Id, out _));
    }

    private static async Task PutAndDropAsync(IRay ray, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _ = await ray.PutAsync(i);
        }
    }

    [Fact]
    public async Task Reading_a_ref_of_another_type_fails_clearly()
    {
        var r = await _ray.PutAsync<object>("text");
        Assert.Equal("text", await r);
        var ex = await Assert.ThrowsAsync<ObjectLostException>(async () => await new ObjectRef<int>(ObjectId.NewId(), WorkerId.NewId(), null));
        Assert.Contains("not in this process", ex.Message);
    }
}
