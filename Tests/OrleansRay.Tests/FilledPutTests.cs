using OrleansRay.ObjectStore;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary><c>IRay.PutAsync(length, state, fill)</c>: an array written in place (into the store's memory when large),
/// the way the Train collectives put partial sums without a temporary array.</summary>
[Collection(SmallStoreCollection.Name)]
public sealed class FilledPutTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly SmallStoreFixture _fixture;
    private readonly IRay _ray;

    public FilledPutTests(SmallStoreFixture fixture)
    {
        _fixture = fixture;
        _ray = fixture.Ray;
    }

    private Task<bool> InStoreAsync(ObjectRef r) => _fixture.Store.ContainsAsync(new StoreObjectId(r.Id.Hi, r.Id.Lo)).AsTask();

    [Fact]
    public async Task A_large_filled_array_lands_in_the_store_and_reads_back_as_the_values_written()
    {
        var source = StoreFunctions.Ramp(3_000_000);
        var slice = new ReadOnlyMemory<double>(source, 1_000_000, 1_000_000); // 8 MB: above the inline threshold
        using ObjectRef<double[]> r = await _ray.PutAsync<double, ReadOnlyMemory<double>>(slice.Length, slice, static (into, from) => from.Span.CopyTo(into));

        Assert.True(await InStoreAsync(r));
        Assert.Equal(slice.ToArray(), await _ray.GetAsync(r));
        using var view = await _ray.GetBufferAsync(r);
        Assert.True(view.Span.SequenceEqual(slice.Span));
    }

    [Fact]
    public async Task A_small_filled_array_stays_inline_and_reads_back_equal()
    {
        using var r = await _ray.PutAsync<float, float>(10, 2.5f, static (into, value) => into.Fill(value));

        Assert.False(await InStoreAsync(r));
        Assert.Equal(Enumerable.Repeat(2.5f, 10), await _ray.GetAsync(r));
        using var empty = await _ray.PutAsync<int, int>(0, 0, static (_, _) => { });
        Assert.Empty(await _ray.GetAsync(empty));
    }

    [Fact]
    public async Task A_fill_that_throws_propagates_and_leaves_nothing_in_the_store()
    {
        var before = await _fixture.Store.GetStatsAsync();

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await _ray.PutAsync<double, int>(2_000_000, 0, static (_, _) => throw new InvalidOperationException("fill failed")));

        Assert.Equal("fill failed", thrown.Message);
        // The created object was aborted: nothing added (an earlier test's object may have been freed meanwhile).
        await Eventually.TrueAsync(async () => (await _fixture.Store.GetStatsAsync()).ObjectCount <= before.ObjectCount, Deadline, "the aborted object leaves the store");
    }

    [Fact]
    public async Task A_fill_exception_comes_unchanged_from_the_returned_task_on_both_the_large_and_the_small_path()
    {
        foreach (var length in new[] { 2_000_000, 10 }) // in the store, inline
        {
            ValueTask<ObjectRef<double[]>> put = default;
            var thrownByCall = Record.Exception(() => put = _ray.PutAsync<double, int>(length, 0, static (_, _) => throw new ObjectDisposedException("the caller's buffer")));
            Assert.Null(thrownByCall); // the failure is the task's, whichever path

            var thrown = await Assert.ThrowsAsync<ObjectDisposedException>(async () => await put);
            Assert.Equal("the caller's buffer", thrown.ObjectName); // the fill's own exception, not mapped to "the node has shut down"
            Assert.DoesNotContain("shut down", thrown.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_what_to_do()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _ray.PutAsync<double, int>(-1, 0, static (_, _) => { }));
        var notPrimitive = await Assert.ThrowsAsync<ArgumentException>(async () => await _ray.PutAsync<decimal, int>(4, 0, static (_, _) => { }));
        Assert.Contains("PutAsync(value)", notPrimitive.Message);
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _ray.PutAsync<double, int>(4, 0, null!));
    }
}
