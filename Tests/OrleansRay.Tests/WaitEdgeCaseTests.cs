using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>WaitAsync of an empty or repeating list, as Ray's <c>ray.wait</c>: <c>ray.wait([])</c> is <c>([], [])</c>, and a
/// ref listed twice is refused ("Wait requires a list of unique object refs").</summary>
[Collection(RayCollection.Name)]
public sealed class WaitEdgeCaseTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public WaitEdgeCaseTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task WaitAsync_of_an_empty_list_answers_two_empty_lists_whatever_numReturns()
    {
        foreach (var numReturns in new[] { 1, 0, 3 })
        {
            var (ready, notReady) = await _ray.WaitAsync(Array.Empty<ObjectRef<int>>(), numReturns);
            Assert.Empty(ready);
            Assert.Empty(notReady);
        }

        var (r, n) = await _ray.WaitAsync(new List<ObjectRef>(), timeout: TimeSpan.Zero);
        Assert.Empty(r);
        Assert.Empty(n);
    }

    [Fact]
    public async Task WaitAsync_refuses_a_ref_listed_twice_naming_both_positions()
    {
        var a = await _ray.PutAsync(1);
        var b = await _ray.PutAsync(2);
        var twice = await Assert.ThrowsAsync<ArgumentException>(() => _ray.WaitAsync(new[] { a, b, a }));
        Assert.Equal("objectRefs", twice.ParamName);
        Assert.Contains("objectRefs[0] and objectRefs[2]", twice.Message, StringComparison.Ordinal);
        Assert.Contains(a.ToString(), twice.Message, StringComparison.Ordinal);
        Assert.Contains("unique", twice.Message, StringComparison.Ordinal);

        // A long list (checked with a set, not pairwise) and a mixed list of the base type.
        var many = new List<ObjectRef<int>>();
        for (var i = 0; i < 40; i++)
        {
            many.Add(await _ray.PutAsync(i));
        }

        many.Add(many[17]);
        var longTwice = await Assert.ThrowsAsync<ArgumentException>(() => _ray.WaitAsync(many, numReturns: 2));
        Assert.Contains("objectRefs[17] and objectRefs[40]", longTwice.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => _ray.WaitAsync(new ObjectRef[] { b, a, b }));

        // Unique refs still wait as before.
        var (ready, notReady) = await _ray.WaitAsync(many.Take(40), numReturns: 40, timeout: Deadline);
        Assert.Equal(40, ready.Count);
        Assert.Empty(notReady);
    }
}
