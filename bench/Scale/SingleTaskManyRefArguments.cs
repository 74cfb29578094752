using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's single-node release test <c>test_many_args</c>: put 10,000 objects of 10,000 ones each, pass all
/// their refs to one task that sums every element, get the sum; seconds from the first put to the result. Ray's
/// figure: 17.2 s; issue 18's goal: &lt; 1 s.</summary>
/// <remarks>On the run's embedded node (<see cref="RayCluster"/>). A C# remote function has at most 6 parameters, so
/// the 10,000 refs travel as one <c>ObjectRef&lt;int[]&gt;[]</c> argument (refs nested in an argument stay refs) and
/// the task gets them itself (<see cref="ScaleFunctions.SumArguments"/>); Ray resolves its 10,000 top-level arguments
/// before the task starts. Each object is an <c>int[10_000]</c> (40 KB; Ray's a list of 10,000 ints). The refs are
/// disposed after the run. With --quick: 1,000 refs.</remarks>
internal sealed class SingleTaskManyRefArguments : Benchmark
{
    private const int Arguments = 10_000;
    private const int Elements = 10_000;

    public override string Name => "single task with 10,000 ref arguments";

    public override string Unit => "s";

    public override string Group => "scale";

    public override int Runs => 3;

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var count = Measure.Count(environment, Arguments);
        var refs = new ObjectRef<int[]>[count];
        try
        {
            return await ScalePeak.MeasureAsync(Name, run, async () =>
            {
                var ones = Enumerable.Repeat(1, Elements).ToArray();
                var stopwatch = Stopwatch.StartNew();
                for (var i = 0; i < count; i++)
                {
                    refs[i] = await ray.PutAsync(ones);
                }

                var sum = await ray.GetAsync(ray.Task(ScaleFunctions.SumArguments, refs).Remote());
                var elapsed = stopwatch.Elapsed;
                if (sum != (long)count * Elements)
                {
                    throw new InvalidOperationException($"Benchmark \"{Name}\": the task summed {sum}, expected {(long)count * Elements}.");
                }

                return elapsed.TotalSeconds;
            });
        }
        finally
        {
            foreach (var r in refs)
            {
                r?.Dispose();
            }
        }
    }
}
