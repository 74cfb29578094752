using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's single-node release test <c>test_ray_get_args</c>: put 10,000 objects of 10,000 integers each, get
/// them all with one call and check each; seconds from the first put to the last check. Ray's figure: 23.5 s; issue
/// 18's goal: &lt; 1 s.</summary>
/// <remarks>On the run's embedded node (<see cref="RayCluster"/>). Each object is an <c>int[10_000]</c> holding 0..9,999
/// (40 KB; Ray's a list of 10,000 ints). Ray's figure covers two such passes (Python lists, then numpy arrays read
/// zero-copy); this row does one. The refs are disposed after the run. With --quick: 1,000 objects.</remarks>
internal sealed class GetTenThousandObjects : Benchmark
{
    private const int Objects = 10_000;
    private const int Elements = 10_000;

    public override string Name => "get 10,000 objects";

    public override string Unit => "s";

    public override string Group => "scale";

    public override int Runs => 3;

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var count = Measure.Count(environment, Objects);
        var refs = new ObjectRef<int[]>[count];
        try
        {
            return await ScalePeak.MeasureAsync(Name, run, async () =>
            {
                var range = Enumerable.Range(0, Elements).ToArray();
                var stopwatch = Stopwatch.StartNew();
                for (var i = 0; i < count; i++)
                {
                    refs[i] = await ray.PutAsync(range);
                }

                var arrays = await ray.GetAsync(refs);
                for (var i = 0; i < arrays.Length; i++)
                {
                    if (!arrays[i].AsSpan().SequenceEqual(range))
                    {
                        throw new InvalidOperationException($"Benchmark \"{Name}\": object {i} does not hold 0..{Elements - 1}.");
                    }
                }

                var elapsed = stopwatch.Elapsed;
                if (arrays.Length != count)
                {
                    throw new InvalidOperationException($"Benchmark \"{Name}\": got {arrays.Length} objects for {count} refs.");
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
