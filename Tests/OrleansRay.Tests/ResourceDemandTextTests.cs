using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary><see cref="ResourceDemand"/> prints as Ray writes a shape, with its count and kind, not as
/// <c>Dictionary`2[...]</c>.</summary>
[Collection(RayCollection.Name)]
public sealed class ResourceDemandTextTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public ResourceDemandTextTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public void ResourceDemand_prints_its_shape_count_and_kind()
    {
        var tasks = new ResourceDemand(new Dictionary<string, double> { ["GPU"] = 0.5, ["CPU"] = 1 }, 3, IsInfeasible: true, IsActor: false);
        Assert.Equal("{\"CPU\": 1.0, \"GPU\": 0.5} ×3 tasks, infeasible", tasks.ToString());
        var actor = new ResourceDemand(new Dictionary<string, double> { ["accel"] = 2 }, 1, IsInfeasible: false, IsActor: true);
        Assert.Equal("{\"accel\": 2.0} ×1 actor", actor.ToString());
        Assert.Equal("{} ×2 tasks", new ResourceDemand(new Dictionary<string, double>(), 2, false, false).ToString());
    }

    [Fact]
    public async Task A_pending_demand_from_the_cluster_prints_readably()
    {
        var gate = Guid.NewGuid().ToString();
        var huge = _ray.Task(WaitForGate, gate).Options(new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1000 } }).Remote();
        try
        {
            string? text = null;
            await Eventually.TrueAsync(async () =>
            {
                text = (await _ray.PendingDemandsAsync()).FirstOrDefault(d => d.Shape.TryGetValue("accel", out var a) && a == 1000)?.ToString();
                return text is not null;
            }, Deadline, "the infeasible task shows in PendingDemandsAsync");
            Assert.Equal("{\"accel\": 1000.0} ×1 task, infeasible", text);
        }
        finally
        {
            await _ray.CancelAsync(huge, force: true);
        }
    }
}
