using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.Execution;
using OrleansRay.Internal;

namespace OrleansRay.Bench.Core;

/// <summary>Issue 15's bound, "a cluster with 1M finished tasks answers in under a second from bounded memory": the
/// embedded node's task event log is fed 1,000,000 finished tasks (1 in 1,000 failed), then one run is
/// <c>ray.State.ListTasksAsync("state=FAILED")</c> (Ray's <c>ray list tasks --filter state=FAILED</c>); milliseconds.</summary>
/// <remarks>The node keeps the latest 10,000 of them (its ring), so the answer is the 10 failed tasks among those; the
/// events are recorded straight into the log (as the scheduler does when a task finishes) rather than by running 1M
/// tasks, which "single node 1M queued tasks" measures.</remarks>
internal sealed class StateListTasks : Benchmark
{
    private const int Finished = 1_000_000;

    private IRay _ray = null!;

    public override string Name => "state list tasks filtered, 1M finished";

    public override string Unit => "ms";

    public override string Group => "state";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        _ray = await RayCluster.DriverAsync(environment);
        var runtime = IRayRuntimeAccess.Of(_ray);
        var node = runtime.Node.Name;
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < Finished; i++)
        {
            runtime.Events.Record(new TaskEvent(TaskId.NewId(), "Bench.Work", node, at, TimeSpan.FromMilliseconds(1),
                i % 1000 == 999 ? "System.InvalidOperationException: bench failure" : null));
        }

        if (runtime.Events.Count > TaskEventLog.DefaultCapacity)
        {
            throw new InvalidOperationException($"The event log holds {runtime.Events.Count} events, above its bound.");
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var watch = Stopwatch.StartNew();
        var failed = await _ray.State.ListTasksAsync(StateListOptions.Where("state=FAILED", "name=Bench.Work"));
        watch.Stop();
        if (failed.Rows.Count != 10)
        {
            throw new InvalidOperationException($"Expected the 10 failed tasks among the ring's latest 10,000, got {failed.Rows.Count}.");
        }

        return watch.Elapsed.TotalMilliseconds;
    }
}
