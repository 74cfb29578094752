using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Issue 9, case 9: each ref read out of a value (returned by a task, put and read back, passed to an actor) is
/// a reference of its own, counted: disposing the original never frees the object under the copy.</summary>
[Collection(RayCollection.Name)]
public sealed class RefIdentityTests
{
    private readonly IRay _ray;

    public RefIdentityTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Refs_echoed_by_a_task_survive_disposing_the_originals()
    {
        var originals = await PutAsync(10, 20);
        var echoed = await _ray.Task(SemanticsFunctions.EchoRefs, originals).Remote();

        Assert.All(echoed.Zip(originals), pair => Assert.NotSame(pair.Second, pair.First));
        Dispose(originals);
        Assert.Equal(new[] { 10, 20 }, await _ray.GetAsync(echoed));
    }

    [Fact]
    public async Task Refs_put_inside_a_value_and_read_back_survive_disposing_the_originals_and_each_other()
    {
        var originals = await PutAsync(1, 2, 3);
        var outer = await _ray.PutAsync(originals);
        var first = await _ray.GetAsync(outer);
        var second = await _ray.GetAsync(outer);

        Assert.NotSame(originals[0], first[0]);
        Assert.NotSame(first[0], second[0]);
        Dispose(originals);
        Dispose(first);
        Assert.Equal(new[] { 1, 2, 3 }, await _ray.GetAsync(second));
        // The stored value still holds its own refs: a later read works too.
        Assert.Equal(new[] { 1, 2, 3 }, await _ray.GetAsync(await _ray.GetAsync(outer)));
    }

    [Fact]
    public async Task Refs_passed_to_an_actor_survive_disposing_the_originals()
    {
        var originals = await PutAsync(4, 5);
        var holder = _ray.Actor(() => new RefHolder()).Remote();
        Assert.Equal(2, await holder.Task((h, refs) => h.Hold(refs), originals).Remote());

        Dispose(originals);
        Assert.Equal(9, await holder.Task(h => h.SumAsync()).Remote());
    }

    [Fact]
    public async Task An_object_is_still_freed_once_every_copy_of_its_ref_is_gone()
    {
        var runtime = OrleansRay.Internal.IRayRuntimeAccess.Of(_ray);
        var id = await PutEchoAndDropAsync();
        await Eventually.TrueAsync(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return !runtime.Objects.TryGet(id, out _);
        }, TimeSpan.FromSeconds(30), "the object was freed after its original and every copy were dropped");
    }

    private async Task<ObjectId> PutEchoAndDropAsync()
    {
        var originals = await PutAsync(7);
        var echoed = await _ray.Task(SemanticsFunctions.EchoRefs, originals).Remote();
        Assert.Equal(7, await echoed[0]);
        Dispose(echoed);
        Dispose(originals);
        return originals[0].Id;
    }

    private async Task<List<ObjectRef<int>>> PutAsync(params int[] values)
    {
        var refs = new List<ObjectRef<int>>();
        foreach (var value in values)
        {
            refs.Add(await _ray.PutAsync(value));
        }

        return refs;
    }

    private static void Dispose(IEnumerable<ObjectRef> refs)
    {
        foreach (var r in refs)
        {
            r.Dispose();
        }
    }
}

/// <summary>An actor that keeps refs it was given and reads them later.</summary>
public sealed class RefHolder
{
    private List<ObjectRef<int>> _held = new();

    public int Hold(List<ObjectRef<int>> refs)
    {
        _held = refs;
        return refs.Count;
    }

    public async Task<int> SumAsync()
    {
        var sum = 0;
        foreach (var r in _held)
        {
            sum += await r;
        }

        return sum;
    }
}
