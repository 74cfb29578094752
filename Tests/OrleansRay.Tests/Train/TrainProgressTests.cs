using OrleansRay.Train;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>A progress event prints as a person reads it: its metrics and nodes spelled out, not their type names.</summary>
public sealed class TrainProgressTests
{
    [Fact]
    public void A_report_prints_its_metrics_as_a_map_in_the_order_reported()
    {
        var report = new TrainProgress(TrainProgressKind.Reported, 0, "Report 2: epoch=2, loss=0.12", 2,
            new Dictionary<string, double> { ["loss"] = 0.12, ["epoch"] = 2 });

        Assert.Equal(
            "TrainProgress { Kind = Reported, Attempt = 0, Message = Report 2: epoch=2, loss=0.12, Iteration = 2, " +
            "Metrics = {loss: 0.12, epoch: 2}, IsInfeasible = False, WorkerNodes = null }",
            report.ToString());
    }

    [Fact]
    public void Started_workers_print_their_nodes_as_a_list()
    {
        var started = new TrainProgress(TrainProgressKind.WorkersStarted, 1, "Started 2 worker(s) on 2 node(s).", WorkerNodes: ["node-a", "node-b"]);

        Assert.Equal(
            "TrainProgress { Kind = WorkersStarted, Attempt = 1, Message = Started 2 worker(s) on 2 node(s)., Iteration = null, " +
            "Metrics = null, IsInfeasible = False, WorkerNodes = [node-a, node-b] }",
            started.ToString());
    }
}
