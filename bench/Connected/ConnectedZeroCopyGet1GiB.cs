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
/// into it. The companion "connected driver zero-copy get 1 GiB store alone" is the same get and dispose by a bare store
/// client in this process (<c>ObjectStoreClient.GetAsync</c> on the node's store socket, no runtime), alternating with
/// the driver's gets: the difference is what the runtime adds. Compare also "zero-copy get 1 GiB", a client of a store
/// inside the bench's process.</remarks>
internal sealed class ConnectedZeroCopyGet1GiB : Benchmark
{
    /// <summary>128 Mi doubles: 1 GiB.</summary>
    private const int FullLength = 128 << 20;

    /// <summary>8 Mi doubles: 64 MiB.</summary>
    private const int QuickLength = 8 << 20;

    private const double Marker = 42;

    private ObjectRef<double[]>? _object;
    private ObjectStoreClient? _store;

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

        try
        {
            _store = await ObjectStoreClient.ConnectAsync(cluster.Node.StoreSocketPath());
            if (!await _store.ContainsAsync(StoreId(_object)))
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": the driver's put is not in its node's object store (did the driver attach the store of {cluster.Node.Address}?).");
            }

            using (var view = await cluster.Driver.GetBufferAsync(_object))
            {
                if (view.Length != length || (await _store.GetStatsAsync()).PinnedCount < 1)
                {
                    throw new InvalidOperationException($"Benchmark \"{Name}\": the view is not a pinned view of the store's object.");
                }
            }
        }
        catch
        {
            // The harness cleans up only after a setup that succeeded.
            await CleanupAsync();
            throw;
        }
    }

    private static StoreObjectId StoreId(ObjectRef objectRef) => new(objectRef.Id.Hi, objectRef.Id.Lo);

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = (await OneNodeProcessCluster.GetAsync(environment)).Driver;
        var item = _object ?? throw new InvalidOperationException("Setup did not run.");
        var store = _store!;
        var id = StoreId(item);
        var iterations = environment.Quick ? 100 : 1000;
        return await Measure.GuardAsync(Name, async () =>
        {
            var samples = new double[iterations];
            var alone = new double[iterations];
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
                start = Stopwatch.GetTimestamp();
                using (var view = await store.GetAsync<double>(id, Measure.RunTimeout))
                {
                    var span = view.Span;
                    touched += span[0] + span[^1];
                }

                alone[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            if (touched != iterations * 4 * Marker)
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": the views' first and last elements summed to {touched}, expected {iterations * 4 * Marker}.");
            }

            run.Report("connected driver zero-copy get 1 GiB store alone", Median(alone), "ms");
            return Median(samples);
        });
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    public override async Task CleanupAsync()
    {
        // Frees the 1 GiB in the node's store (the cluster is shared with the connected benchmarks).
        _object?.Dispose();
        _object = null;
        if (_store is not null)
        {
            await _store.DisposeAsync();
            _store = null;
        }
    }
}
