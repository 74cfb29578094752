using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Scale;

/// <summary>"single client tasks async" with <see cref="SchedulingStrategy.Spread"/> over 8 real node processes on this
/// machine: a connected driver submits trivial tasks spread over the nodes without awaiting, then gets them all; tasks
/// per second. Ray publishes no figure of this shape (its many-nodes release tests run on 64+ machines); issue 18 asks
/// for the row.</summary>
/// <remarks>The row starts a head (<c>orleansray start --head</c>) and 7 workers joining it (<c>orleansray start
/// --address HEAD</c>), each offering 1 CPU, like <c>ThreeNodeProcessCluster</c>, at setup, and stops them all at
/// cleanup (<see cref="ScaleCluster"/>). Setup checks that SPREAD tasks reach all 8 nodes. One run submits 100,000 tasks
/// (10,000 with --quick); peak memory is this process's plus the sum of the 8 nodes'.</remarks>
internal sealed class EightNodeTasksAsyncSpread : Benchmark
{
    private const int Nodes = 8;
    private const int Tasks = 100_000;

    private static readonly TaskOptions Spread = new() { SchedulingStrategy = SchedulingStrategy.Spread };

    private ScaleCluster? _cluster;

    public override string Name => "8-node tasks async spread";

    public override string Unit => "/s";

    public override string Group => "scale";

    public override int Warmups => Connected.ConnectedDriver.Warmups;

    public override int Runs => 3;

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        _cluster = await ScaleCluster.StartAsync(Nodes, cpusPerNode: 1, driverCount: 1);
        try
        {
            var ray = _cluster.Drivers[0];
            var probes = Enumerable.Range(0, 4 * Nodes).Select(_ => ray.Task(BenchFunctions.NodeOf).Options(Spread).Remote());
            var nodes = await ray.GetAsync(probes).WaitAsync(Measure.StartTimeout);
            if (nodes.Distinct().Count() != Nodes)
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": SPREAD tasks ran on {nodes.Distinct().Count()} distinct nodes ({string.Join(", ", nodes.Distinct())}), not on {Nodes}.");
            }
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var cluster = _cluster!;
        var ray = cluster.Drivers[0];
        var count = Measure.Count(environment, Tasks);
        return await ScalePeak.MeasureAsync(Name, run, async () =>
        {
            var refs = new ObjectRef<int>[count];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                refs[i] = ray.Task(BenchFunctions.SmallValue).Options(Spread).Remote();
            }

            var values = await ray.GetAsync(refs);
            var elapsed = stopwatch.Elapsed;
            Measure.CheckAllExpected(Name, values, count);
            return count / elapsed.TotalSeconds;
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
