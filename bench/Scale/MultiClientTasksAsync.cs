using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>Ray's microbenchmark "multi client tasks async": 4 clients each submit trivial tasks without awaiting, then
/// get them all, at the same time; tasks per second of all clients together. Ray's figure: 21,230/s (its 4 clients are
/// actors on the driver's node); issue 18's goal: ≥ 200,000/s.</summary>
/// <remarks>The clients are 4 drivers in this process, each connected on its own (<c>Ray.InitAsync</c> with the
/// address) to one node in a process of its own (<c>orleansray start --head</c>, offering the machine's cores), which
/// runs every task. The row starts the node at setup and stops it at cleanup (<see cref="ScaleCluster"/>). One run
/// submits 25,000 tasks per driver (a tenth with --quick); peak memory is this process's plus the node's.</remarks>
internal sealed class MultiClientTasksAsync : Benchmark
{
    private const int Drivers = 4;
    private const int TasksPerDriver = 25_000;

    private ScaleCluster? _cluster;

    public override string Name => "multi client tasks async";

    public override string Unit => "/s";

    public override string Group => "scale";

    public override int Warmups => Connected.ConnectedDriver.Warmups;

    /// <summary>30 s, twice the connected round-trip rows' warm-up: both processes compile their hot paths (tier 0,
    /// instrumented, tier 1) only as the row calls them, and four drivers reach more code than one. With only the three
    /// short warm-up runs (about 2 s in all) the tiered-compilation threads of the two processes had 28% of the
    /// machine's samples during the recorded runs, and still did 13 to 19 s in.</summary>
    public override TimeSpan WarmupTime => 2 * Connected.ConnectedDriver.RoundTripWarmupTime;

    public override int Runs => 3;

    public override async Task SetupAsync(BenchEnvironment environment) =>
        _cluster = await ScaleCluster.StartAsync(nodeCount: 1, cpusPerNode: Environment.ProcessorCount, driverCount: Drivers);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var cluster = _cluster!;
        var count = Measure.Count(environment, TasksPerDriver);
        return await ScalePeak.MeasureAsync(Name, run, async () =>
        {
            var stopwatch = Stopwatch.StartNew();
            var clients = cluster.Drivers.Select(ray => Task.Run(async () =>
            {
                var refs = new ObjectRef<int>[count];
                for (var i = 0; i < count; i++)
                {
                    refs[i] = ray.Task(BenchFunctions.SmallValue).Remote();
                }

                var values = await ray.GetAsync(refs);
                Measure.CheckAllExpected(Name, values, count);
            })).ToList();
            await Task.WhenAll(clients);
            return clients.Count * count / stopwatch.Elapsed.TotalSeconds;
        }, cluster);
    }

    public override async Task CleanupAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
            _cluster = null;
        }
    }
}
