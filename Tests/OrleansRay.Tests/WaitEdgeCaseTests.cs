using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>WaitAsync of an empty or repeating list and of a count out of range, as Ray's <c>ray.wait</c>:
/// <c>ray.wait([])</c> is <c>([], [])</c>, a ref listed twice is refused ("Wait requires a list of unique object refs"),
/// and so is a <c>num_returns</c> of 0 or less, or more than the refs given.</summary>
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
    public async Task A_timeout_longer_than_a_timer_takes_waits_as_long_as_it_takes_and_a_negative_one_is_refused()
    {
        var one = await _ray.PutAsync(1);
        var two = _ray.Task(x => x + 1, 1).Remote();
        Assert.Equal(1, await _ray.GetAsync(one, TimeSpan.MaxValue));
        Assert.Equal(new[] { 1, 2 }, await _ray.GetAsync([one, two], TimeSpan.MaxValue));
        var (ready, _) = await _ray.WaitAsync([one, two], numReturns: 2, TimeSpan.MaxValue);
        Assert.Equal(2, ready.Count);
        var group = await _ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }]);
        try
        {
            Assert.True(await group.WaitAsync(TimeSpan.MaxValue).WaitAsync(Deadline));
        }
        finally
        {
            await _ray.RemovePlacementGroupAsync(group);
        }

        var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _ray.GetAsync(one, TimeSpan.FromSeconds(-2)));
        Assert.Contains("zero or positive", negative.Message, StringComparison.Ordinal);
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
    [Fact]
    public async Task WaitAsync_refuses_numReturns_of_zero_or_less_in_one_line_saying_what_to_give()
    {
        var refs = new[] { await _ray.PutAsync(1), await _ray.PutAsync(2), await _ray.PutAsync(3) };
        foreach (var numReturns in new[] { 0, -1, int.MinValue })
        {
            var wait = _ray.WaitAsync(refs, numReturns, Deadline);
            var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => wait);
            Assert.Equal("numReturns", refused.ParamName);
            Assert.DoesNotContain('\n', refused.Message);
            Assert.Contains($"numReturns = {numReturns}", refused.Message, StringComparison.Ordinal);
            Assert.Contains("give a number from 1 to 3", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WaitAsync_refuses_numReturns_above_the_number_of_refs_in_one_line_saying_what_to_give()
    {
        var refs = new[] { await _ray.PutAsync(1), await _ray.PutAsync(2) };
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _ray.WaitAsync(refs, numReturns: 3, Deadline));
        Assert.Equal("numReturns", refused.ParamName);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Contains("more than the 2 ref(s) given", refused.Message, StringComparison.Ordinal);
        Assert.Contains("give at most 2", refused.Message, StringComparison.Ordinal);

        // The bounds themselves wait as asked: every ref is ready, so both answer at once.
        Assert.Equal(refs, (await _ray.WaitAsync(refs, numReturns: 2, Deadline)).Ready);
        var one = await _ray.WaitAsync(refs, numReturns: 1, Deadline);
        Assert.Equal(new[] { refs[0] }, one.Ready);
    }
}
