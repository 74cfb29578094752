using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core.Scenarios;

/// <summary>The shape of Ray's "single client tasks async": submit many trivial tasks without awaiting, then get them
/// all; tasks per second from the first submit to the last result. Subclasses choose the driver (embedded or connected)
/// and the task options.</summary>
internal abstract class TasksAsyncScenario : Benchmark
{
    public override string Unit => "/s";

    /// <summary>Tasks of one run (a tenth with --quick).</summary>
    protected abstract int TasksPerRun { get; }

    /// <summary>Options every task is submitted with; null for none (Ray's defaults: 1 CPU, the hybrid policy).</summary>
    protected virtual TaskOptions? TaskOptions => null;

    /// <summary>True when the tasks run in this process, so the run can check each ran exactly once
    /// (<see cref="BenchFunctions.Executions"/> counts this process only).</summary>
    protected abstract bool TasksRunInThisProcess { get; }

    /// <summary>The driver that submits the tasks.</summary>
    protected abstract Task<IRay> DriverAsync(BenchEnvironment environment);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await DriverAsync(environment);
        var count = Measure.Count(environment, TasksPerRun);
        var options = TaskOptions;
        return await Measure.GuardAsync(Name, async () =>
        {
            var executions = BenchFunctions.Executions;
            var refs = new ObjectRef<int>[count];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                var call = ray.Task(BenchFunctions.SmallValue);
                refs[i] = (options is null ? call : call.Options(options)).Remote();
            }

            var values = await ray.GetAsync(refs);
            var elapsed = stopwatch.Elapsed;
            Measure.CheckAllExpected(Name, values, count);
            if (TasksRunInThisProcess)
            {
                Measure.CheckExecutions(Name, executions, count);
            }

            return count / elapsed.TotalSeconds;
        });
    }
}
