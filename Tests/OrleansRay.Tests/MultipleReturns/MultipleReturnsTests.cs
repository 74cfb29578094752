using OrleansRay.Internal;
using OrleansRay.ObjectStore;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.MultipleReturns;

/// <summary>Ray's <c>num_returns</c> on one embedded node: a task or actor method returning a tuple gives one ref per
/// element with <c>RemoteMany()</c>, each an object of its own in the owner's table (freed, stored, passed on
/// separately), and the returns fail together.</summary>
[Collection(RayCollection.Name)]
public sealed class MultipleReturnsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public MultipleReturnsTests(RayFixture fixture) => _ray = fixture.Ray;

    private Node.NodeRuntime Runtime => ((IRayRuntimeAccess)_ray).Runtime;

    [Fact]
    public async Task Three_refs_from_one_task_are_three_objects_and_one_freed_early_leaves_the_others_readable()
    {
        var (number, text, values) = _ray.Task(ReturnsFunctions.Split, 7).RemoteMany();

        Assert.Equal(3, new[] { number.Id, text.Id, values.Id }.Distinct().Count());
        Assert.Equal(7, await number);
        Assert.True(Runtime.Objects.TryGet(text.Id, out _), "every return is an entry of its own in the owner's table");

        text.Dispose();
        await Eventually.TrueAsync(() => !Runtime.Objects.TryGet(text.Id, out _), Deadline, "the freed return leaves the owner's table");

        Assert.True(Runtime.Objects.TryGet(number.Id, out _));
        Assert.True(Runtime.Objects.TryGet(values.Id, out _));
        Assert.Equal(7, await number);
        Assert.Equal(new[] { 7, 7.5 }, await values);
    }

    [Fact]
    public async Task Remote_on_a_tuple_function_keeps_one_ref_of_the_whole_tuple()
    {
        ObjectRef<(int, string, double[])> whole = _ray.Task(ReturnsFunctions.Split, 2).Remote();
        var (n, s, v) = await whole;
        Assert.Equal((2, "s2", 2.5), (n, s, v[1]));
    }

    [Fact]
    public async Task An_async_function_returns_its_elements_as_separate_refs()
    {
        var (one, two, three) = _ray.Task(ReturnsFunctions.ThreeAsync, 5).RemoteMany();
        Assert.Equal((5, 10, 15), (await one, await two, await three));
    }

    [Fact]
    public async Task A_large_element_is_stored_alone_while_the_small_ones_stay_inline()
    {
        var store = Runtime.Store!.Client;
        var (small, large, name) = _ray.Task(ReturnsFunctions.SmallLargeSmall, 3).RemoteMany();
        Assert.Equal(3, await small);
        Assert.Equal("n3", await name);
        var array = await large;
        Assert.Equal((ReturnsFunctions.LargeLength, 3.0, -3.0), (array.Length, array[0], array[^1]));

        Assert.True(Runtime.Objects.TryGet(large.Id, out var largeEntry));
        Assert.NotNull(largeEntry.StoredObject);
        Assert.Equal(large.Id, largeEntry.StoredObject!.Id);
        Assert.True(await store.ContainsAsync(StoreId(large)), "the large element is in the object store under its own id");
        foreach (var inline in new ObjectRef[] { small, name })
        {
            Assert.True(Runtime.Objects.TryGet(inline.Id, out var entry));
            Assert.Null(entry.StoredObject);
            Assert.False(await store.ContainsAsync(StoreId(inline)), "a small element stays inline with its owner");
        }

        large.Dispose();
        await Eventually.TrueAsync(async () => !await store.ContainsAsync(StoreId(large)), Deadline, "freeing the large return deletes it from the store");
        Assert.Equal(3, await small);
        Assert.Equal("n3", await name);
    }

    [Fact]
    public async Task A_failing_task_fails_every_ref_with_the_same_RayTaskException()
    {
        var (a, b, c) = _ray.Task(ReturnsFunctions.Fail, 4).RemoteMany();
        var errors = new List<RayTaskException>();
        foreach (var r in new[] { a, b, c })
        {
            errors.Add(await Assert.ThrowsAsync<RayTaskException>(async () => await r));
        }

        Assert.All(errors, e => Assert.Contains("split failed for 4", e.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Equal(errors[0].Message, e.Message));
        Assert.All(errors, e => Assert.Equal(typeof(InvalidOperationException).FullName, e.OriginalExceptionType));
    }

    [Fact]
    public async Task A_list_with_num_returns_gives_one_ref_per_element_and_a_wrong_count_fails_each_clearly()
    {
        var refs = _ray.Task(ReturnsFunctions.Digits, 4).RemoteMany(4);
        Assert.Equal(4, refs.Length);
        Assert.Equal(new[] { 0, 1, 2, 3 }, await _ray.GetAsync(refs));

        var wrong = _ray.Task(ReturnsFunctions.Digits, 2).RemoteMany(3);
        foreach (var r in wrong)
        {
            var error = await Assert.ThrowsAsync<RayTaskException>(async () => await r);
            Assert.Contains("num_returns = 3", error.Message, StringComparison.Ordinal);
            Assert.Contains("2 elements", error.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Task(ReturnsFunctions.Digits, 1).RemoteMany(1));
        // A count no function returns is refused before a ref is made, not after filling memory with them.
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => _ray.Task(ReturnsFunctions.Digits, 1).RemoteMany(int.MaxValue));
        Assert.Contains("at most 100,000 returns", tooMany.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_ref_passed_to_another_task_resolves_to_its_element()
    {
        var (number, text, values) = _ray.Task(ReturnsFunctions.Split, 9).RemoteMany();
        var sum = _ray.Task(ReturnsFunctions.Add, number, 1).Remote();
        var described = _ray.Task(ReturnsFunctions.Describe, text, values).Remote();
        Assert.Equal(10, await sum);
        Assert.Equal("s9:2:9", await described);

        // A stored element travels to its reader as an argument on its own, next to an inline one.
        var (small, large, name) = _ray.Task(ReturnsFunctions.SmallLargeSmall, 6).RemoteMany();
        Assert.Equal("n6:200000:6", await _ray.Task(ReturnsFunctions.Describe, name, large).Remote());
        Assert.Equal(7, await _ray.Task(ReturnsFunctions.Add, small, 1).Remote());
    }

    [Fact]
    public async Task Cancelling_through_any_ref_cancels_the_task_and_fails_every_ref()
    {
        var (a, b, c) = _ray.Task(ReturnsFunctions.WaitForCancel, 1).RemoteMany();
        await _ray.CancelAsync(b);
        foreach (var r in new[] { a, b, c })
        {
            await Assert.ThrowsAsync<TaskCancelledException>(async () => await r);
        }
    }

    [Fact]
    public async Task An_actor_method_gives_one_ref_per_element_each_freed_on_its_own()
    {
        var ledger = _ray.Actor(() => new Ledger()).Remote();
        var (total, text, audit) = ledger.Task((l, amount) => l.Deposit(amount), 5).RemoteMany();
        var (total2, _, audit2) = ledger.Task((l, amount) => l.Deposit(amount), 10).RemoteMany();
        Assert.Equal(5, await total);
        Assert.Equal("5", await text);
        Assert.Equal(5, (await audit)[0]);
        Assert.Equal(15, await total2);
        Assert.Equal(15, (await audit2)[0]);

        Assert.True(Runtime.Objects.TryGet(audit.Id, out var auditEntry));
        Assert.NotNull(auditEntry.StoredObject);
        Assert.True(Runtime.Objects.TryGet(total.Id, out var totalEntry));
        Assert.Null(totalEntry.StoredObject);

        audit.Dispose();
        await Eventually.TrueAsync(() => !Runtime.Objects.TryGet(audit.Id, out _), Deadline, "the freed return of the actor call leaves the owner's table");
        Assert.Equal(5, await total);
        Assert.Equal("5", await text);

        Assert.Equal(16, await _ray.Task(ReturnsFunctions.Add, total, 11).Remote());
        Assert.Equal(new[] { 15, 16 }, await _ray.GetAsync(ledger.Task((l, n) => l.LastDigits(n), 2).RemoteMany(2)));
    }

    [Fact]
    public async Task A_failing_actor_method_fails_every_ref_with_the_same_exception()
    {
        var ledger = _ray.Actor(() => new Ledger()).Remote();
        var (a, b) = ledger.Task((l, amount) => l.Overdraw(amount), 3).RemoteMany();
        var first = await Assert.ThrowsAsync<RayTaskException>(async () => await a);
        var second = await Assert.ThrowsAsync<RayTaskException>(async () => await b);
        Assert.Contains("overdraw by 3 refused", first.Message, StringComparison.Ordinal);
        Assert.Equal(first.Message, second.Message);
    }

    private static StoreObjectId StoreId(ObjectRef r) => new(r.Id.Hi, r.Id.Lo);
}
