using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>A task that fails because the node running it died is listed FAILED with
/// <c>OrleansRay.NodeDiedException</c> and that node (Ray's <c>NODE_DIED</c>): its owner lists it, since the node that
/// would have listed it took its log along. Starts its own cluster and driver.</summary>
public sealed class NodeDiedTaskListTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_task_lost_with_its_node_is_listed_FAILED_with_NodeDiedException_on_that_node()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null), (1, new Dictionary<string, double> { ["far"] = 1 }));
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken });
        var leaving = cluster.Nodes[1];
        var leavingId = leaving.NodeId.Value;
        var gate = Guid.NewGuid().ToString();
        try
        {
            var lost = ray.Task(TestFunctions.WaitForGate, gate).Options(new TaskOptions { Resources = { ["far"] = 1 }, MaxRetries = 0 }).Remote();
            await Eventually.TrueAsync(async () => (await ray.State.ListTasksAsync(StateListOptions.Where("state=RUNNING"))).Rows.Any(r => r.Node == leavingId),
                Deadline, "the task runs on the node that will leave");

            await cluster.StopNodeAsync(leaving);

            await Assert.ThrowsAsync<NodeDiedException>(async () => await ray.GetAsync(lost, Deadline));
            var rows = (await ray.State.ListTasksAsync(StateListOptions.Where("error_type=OrleansRay.NodeDiedException"))).Rows;
            var row = Assert.Single(rows);
            Assert.Equal("FAILED", row.State);
            Assert.Equal(leavingId, row.Node);
            Assert.Contains("(queued or running there) when that node died", row.ErrorMessage, StringComparison.Ordinal);
        }
        finally
        {
            // The stopped node's worker thread may still hold the task: let it end.
            Gates.Get(gate).Set();
        }
    }
}
