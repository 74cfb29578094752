using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Connected;

/// <summary>Milliseconds of one zero-copy get of a 1 GiB object (64 MiB with --quick) by a connected driver: the driver
/// (<see cref="OneNodeProcessCluster"/>, connected through a node process on this machine, so it attaches that node's
/// object store) maps the object with <c>ray.GetBufferAsync&lt;double&gt;</c>, reads its first and last elements and
/// disposes the view. The object is a <c>double[]</c> of 128 Mi elements the driver put (<c>ray.PutAsync</c>), which
/// goes straight into the node's store.</summary>
/// <remarks>The steady state: setup puts the object once and checks, through a client of the node's store, that it is
/// there and that a view pins it (shared memory, not a copy); the object is already in the driver's store, so no get
/// pulls. A run times 1,000 gets (100 with --quick) one by one and reports their median: the driver's object table
/// lookup and one request to the store over its Unix socket to pin the object, then the unpin. The size does not enter
/// into it; compare "zero-copy get 1 GiB", a client of an in-process store without the runtime around it.</remarks>
internal sealed class ConnectedZeroCopyGet1GiB : Benchmark
{
    /// <summary>128 Mi doubles: 1 GiB.</summary>
    private const int FullLength = 128 << 20;

    /// <summary>8 Mi doubles: 64 MiB.</summary>
    private const int QuickLength = 8 << 20;

    private const double Marker = 42;

    private ObjectRef<double[]>? _object;

    public override string Name => "connected driver zero-copy get 1 GiB";

    public override string Unit => "ms";

    public override string Group => "objects";

    public override int Warmups => ConnectedDriver.Warmups;

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var cluster = await OneNodeProcessCluster.GetAsync(environment);
        var length = environment.Quick ? QuickLength : FullLength;
        var values = new double[length];
        values[0] = Marker;
        values[^1] = Marker;
        _object = await cluster.Driver.PutAsync(values).AsTask().WaitAsync(Measure.RunTimeout);
        values = null;
        GC.Collect();

        await using var store = await ObjectStoreClient.ConnectAsync(cluster.Node.StoreSocketPath());
        if (!await store.ContainsAsync(new StoreObjectId(_object.Id.Hi, _object.Id.Lo)))
        {
            throw new InvalidOperationException($"Benchmark \"{Name}\": the driver's put is not in its node's object store (did the driver attach the store of {cluster.Node.Address}?).");
        }

        using (var view = await cluster.Driver.GetBufferAsync(_object))
        {
            if (view.Length != length || (await store.GetStatsAsync()).PinnedCount < 1)
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": the view is not a pinned view of the store's object.");
            }
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = (await OneNodeProcessCluster.GetAsync(environment)).Driver;
        var item = _object ?? throw new InvalidOperationException("Setup did not run.");
        var iterations = environment.Quick ? 100 : 1000;
        return await Measure.GuardAsync(Name, async () =>
        {
            var samples = new double[iterations];
            double touched = 0;
            for (var i = 0; i < iterations; i++)
            {
                var start = Stopwatch.GetTimestamp();
                using (var view = await ray.GetBufferAsync(item))
                {
                    var span = view.Span;
                    touched += span[0] + span[^1];
                }

                samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            if (touched != iterations * 2 * Marker)
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": the views' first and last elements summed to {touched}, expected {iterations * 2 * Marker}.");
            }

            Array.Sort(samples);
            return samples[iterations / 2];
        });
    }

    public override Task CleanupAsync()
    {
        // Frees the 1 GiB in the node's store (the cluster is shared with the connected benchmarks).
        _object?.Dispose();
        _object = null;
        return Task.CompletedTask;
    }
}
