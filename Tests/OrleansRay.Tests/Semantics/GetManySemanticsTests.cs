using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Issue 9, case 8: a Get of a list raises as soon as any one object fails (Ray's ray.get), and returns the
/// values in input order when all succeed. No timing: the slow task is held on a gate that opens only afterwards.</summary>
[Collection(RayCollection.Name)]
public sealed class GetManySemanticsTests
{
    /// <summary>Hang detection only.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public GetManySemanticsTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task Get_of_a_list_raises_while_an_earlier_object_is_still_pending()
    {
        var gate = Guid.NewGuid().ToString();
        try
        {
            var slow = _ray.Task(SemanticsFunctions.ReturnWhenGateOpens, gate, 1).Remote();
            var failing = _ray.Task(TestFunctions.Throw, 2).Remote();

            await AssertRaisesBeforeSlowEnds(() => _ray.GetAsync(new[] { slow, failing }));
            await AssertRaisesBeforeSlowEnds(() => _ray.GetAsync(new[] { slow, failing }, TimeSpan.FromMinutes(5)));
            Assert.False(Gates.Get(gate).IsSet);
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    [Fact]
    public async Task Get_of_a_list_returns_values_in_input_order_when_a_later_one_is_ready_first()
    {
        var gate = Guid.NewGuid().ToString();
        try
        {
            var slow = _ray.Task(SemanticsFunctions.ReturnWhenGateOpens, gate, 1).Remote();
            var fast = _ray.Task(TestFunctions.Square, 3).Remote();
            var get = _ray.GetAsync(new[] { slow, fast, slow });
            var ready = await _ray.WaitAsync(new[] { fast }, numReturns: 1, timeout: Deadline);
            _ = Assert.Single(ready.Ready);
            Assert.False(get.IsCompleted);

            Gates.Get(gate).Set();
            Assert.Equal(new[] { 1, 9, 1 }, await get.WaitAsync(Deadline));
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    private static async Task AssertRaisesBeforeSlowEnds(Func<Task<int[]>> get)
    {
        try
        {
            await get().WaitAsync(Deadline);
            Assert.Fail("GetAsync returned although one of the objects failed");
        }
        catch (TimeoutException)
        {
            Assert.Fail("GetAsync did not raise while another object was still pending: it waited for the refs in input order");
        }
        catch (RayTaskException ex)
        {
            Assert.Contains("bad input 2", ex.Message);
        }
    }
}
