using System.Diagnostics;
using System.Net;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Connected;

/// <summary>GB/s of getting a 256 MiB object made on another node (32 MiB with --quick), as Ray's <c>ray.get</c> of an
/// array from another node does it (a pull into the local store, then a zero-copy view): on a cluster of three node
/// processes (<see cref="ThreeNodeProcessCluster"/>), a task pinned to worker B makes a <c>double[]</c> of 32 Mi
/// elements, which stays in B's object store; the driver, connected through the head (whose store it uses), calls
/// <c>GetBufferAsync&lt;double&gt;</c> on it: the head's store pulls it from B's store over the stores' TCP peer
/// transfer into a secondary copy, and the driver maps that copy. The figure is the object's bytes over the time of
/// that call (its first and last elements read, the view disposed). The baseline is "raw loopback socket gigabytes" of
/// the same run (the acceptance bar is 0.7× it).</summary>
/// <remarks>
/// <para>Companion "cross-node task argument gigabytes": the same object read by a task pinned to worker C that takes
/// it as its argument and returns a tiny value, timed from submitting that task to the driver holding its result. That
/// time holds: the driver submitting the task to C (through the head's gateway), C's store pulling the argument from
/// B's store, C's worker copying the stored bytes into a fresh managed <c>double[]</c> (the function gets its own
/// array; <c>StoredBytes.Decode</c>), the function, and the result's way back.</para>
/// <para>Each transfer uses a fresh object (C keeps a pulled copy until the object is freed), made and waited for
/// before the clock starts; the object is freed after it, which deletes B's primary and C's copy. One run times four
/// transfers (two with --quick) and reports their bytes over their summed time. Three companion figures of the same
/// run say where that time goes: "cross-node get store pull gigabytes" is the pull alone (another fresh object on B,
/// pulled into C's store at the request of a store client in this process: no runtime, no task, no copy into managed
/// memory); "cross-node get local read ms" (median) the same task on C again once the copy is in C's store (no pull:
/// the copy into a managed array, the scheduling and the function); "cross-node get empty task ms" (median) a task
/// pinned to C without an argument (the scheduling round trip alone). Setup checks that C's store pulled the object's
/// bytes from B's store, so the figure is of the store-to-store path.</para>
/// </remarks>
internal sealed class CrossNodeGetGigabytes : Benchmark
{
    /// <summary>32 Mi doubles: 256 MiB.</summary>
    private const int FullLength = 32 << 20;

    /// <summary>4 Mi doubles: 32 MiB.</summary>
    private const int QuickLength = 4 << 20;

    private ObjectStoreClient? _storeC;
    private TaskOptions _onB = new();
    private TaskOptions _onC = new();
    private double _marker;

    public override string Name => "cross-node get gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "objects";

    public override int Warmups => ConnectedDriver.Warmups;

    private static int Length(BenchEnvironment environment) => environment.Quick ? QuickLength : FullLength;

    private static int TransfersPerRun(BenchEnvironment environment) => environment.Quick ? 2 : 4;

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var cluster = await ThreeNodeProcessCluster.GetAsync(environment);
        var ray = cluster.Driver;
        var (b, c) = (await cluster.IdOfAsync(cluster.WorkerB), await cluster.IdOfAsync(cluster.WorkerC));
        _onB = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(b) };
        _onC = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(c) };
        var ran = await ray.GetAsync([ray.Task(BenchFunctions.NodeOf).Options(_onB).Remote(), ray.Task(BenchFunctions.NodeOf).Options(_onC).Remote()])
            .WaitAsync(Measure.StartTimeout);
        if (ran[0] != b.Value || ran[1] != c.Value)
        {
            throw new InvalidOperationException($"Benchmark \"{Name}\": tasks pinned to {b} and {c} ran on {ran[0]} and {ran[1]}.");
        }

        // One transfer, watched from the stores: the object is in B's store, and C's store pulls all of its bytes.
        _storeC = await ObjectStoreClient.ConnectAsync(cluster.WorkerC.StoreSocketPath());
        try
        {
            await using var storeB = await ObjectStoreClient.ConnectAsync(cluster.WorkerB.StoreSocketPath());
            var pulledBefore = (await _storeC.GetStatsAsync()).PullBytesReceived;
            var size = Length(environment) * (long)sizeof(double);
            using var made = await MakeOnBAsync(ray, Length(environment));
            var id = new StoreObjectId(made.Id.Hi, made.Id.Lo);
            if (!await storeB.ContainsAsync(id) || await _storeC.ContainsAsync(id))
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": the {size}-byte result is not in worker B's store alone.");
            }

            await ReadOnCAsync(ray, made);
            var pulled = (await _storeC.GetStatsAsync()).PullBytesReceived - pulledBefore;
            if (pulled != size || !await _storeC.ContainsAsync(id))
            {
                throw new InvalidOperationException($"Benchmark \"{Name}\": worker C's store pulled {pulled} bytes for a {size}-byte object; the read did not go store-to-store.");
            }
        }
        catch
        {
            // The harness cleans up only after a setup that succeeded.
            await CleanupAsync();
            throw;
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = (await ThreeNodeProcessCluster.GetAsync(environment)).Driver;
        var length = Length(environment);
        var transfers = TransfersPerRun(environment);
        return await Measure.GuardAsync(Name, async () =>
        {
            var timed = TimeSpan.Zero;
            var gets = TimeSpan.Zero;
            var pulls = TimeSpan.Zero;
            var localReads = new List<double>();
            var emptyTasks = new List<double>();
            for (var i = 0; i < transfers; i++)
            {
                using (var made = await MakeOnBAsync(ray, length))
                {
                    timed += await ReadOnCAsync(ray, made);
                    localReads.Add((await ReadOnCAsync(ray, made)).TotalMilliseconds);
                }

                emptyTasks.Add((await EmptyTaskOnCAsync(ray)).TotalMilliseconds);
                using (var made = await MakeOnBAsync(ray, length))
                {
                    gets += await GetFromDriverAsync(ray, made);
                }

                using (var made = await MakeOnBAsync(ray, length))
                {
                    pulls += await PullIntoCAsync(made);
                }
            }

            var bytes = transfers * (length * (double)sizeof(double));
            run.Report("cross-node task argument gigabytes", bytes / timed.TotalSeconds / 1e9, "GB/s");
            run.Report("cross-node get store pull gigabytes", bytes / pulls.TotalSeconds / 1e9, "GB/s");
            run.Report("cross-node get local read ms", Median(localReads), "ms");
            run.Report("cross-node get empty task ms", Median(emptyTasks), "ms");
            return bytes / gets.TotalSeconds / 1e9;
        });
    }

    public override async Task CleanupAsync()
    {
        if (_storeC is not null)
        {
            await _storeC.DisposeAsync();
            _storeC = null;
        }
    }

    /// <summary>How long C's store takes to pull <paramref name="made"/> from B's store when a store client asks it
    /// directly (the copy is deleted with the object when <paramref name="made"/> is freed).</summary>
    private async Task<TimeSpan> PullIntoCAsync(ObjectRef<double[]> made)
    {
        var store = _storeC ?? throw new InvalidOperationException("Setup did not run.");
        var stored = ObjectResolver.Find(made).Entry.StoredObject
                     ?? throw new InvalidOperationException($"Benchmark \"{Name}\": the array made on worker B is not stored.");
        var from = IPEndPoint.Parse(stored.Store);
        var stopwatch = Stopwatch.StartNew();
        await store.PullAsync(new StoreObjectId(made.Id.Hi, made.Id.Lo), from, Measure.RunTimeout);
        return stopwatch.Elapsed;
    }

    /// <summary>A fresh array made by a task on B, once it is ready (in B's store, its owner told where).</summary>
    private async Task<ObjectRef<double[]>> MakeOnBAsync(IRay ray, int length)
    {
        _marker++;
        var made = ray.Task(LargeArrays.Make, length, _marker).Options(_onB).Remote();
        var (ready, _) = await ray.WaitAsync([made], numReturns: 1, timeout: Measure.RunTimeout);
        if (ready.Count != 1)
        {
            made.Dispose();
            throw new TimeoutException($"Benchmark \"{Name}\": the task on worker B did not make its array within {Measure.RunTimeout.TotalSeconds:F0} s.");
        }

        return made;
    }

    /// <summary>How long the driver's <c>GetBufferAsync</c> of <paramref name="made"/> takes: a pull into the head's
    /// store (the driver's), then a view of that copy.</summary>
    private async Task<TimeSpan> GetFromDriverAsync(IRay ray, ObjectRef<double[]> made)
    {
        var stopwatch = Stopwatch.StartNew();
        double ends;
        using (var view = await ray.GetBufferAsync(made))
        {
            ends = view.Span[0] + view.Span[^1];
        }

        var elapsed = stopwatch.Elapsed;
        return ends == 2 * _marker
            ? elapsed
            : throw new InvalidOperationException($"Benchmark \"{Name}\": the driver's view has ends summing to {ends}, expected {2 * _marker}.");
    }

    /// <summary>How long a task on C that takes <paramref name="made"/> as its argument takes, submit to result.</summary>
    private async Task<TimeSpan> ReadOnCAsync(IRay ray, ObjectRef<double[]> made)
    {
        var stopwatch = Stopwatch.StartNew();
        using var read = ray.Task(LargeArrays.Ends, made).Options(_onC).Remote();
        var ends = await ray.GetAsync(read);
        var elapsed = stopwatch.Elapsed;
        if (ends != 2 * _marker)
        {
            throw new InvalidOperationException($"Benchmark \"{Name}\": worker C read ends summing to {ends}, expected {2 * _marker}.");
        }

        return elapsed;
    }

    private async Task<TimeSpan> EmptyTaskOnCAsync(IRay ray)
    {
        var stopwatch = Stopwatch.StartNew();
        using var empty = ray.Task(BenchFunctions.SmallValue).Options(_onC).Remote();
        var value = await ray.GetAsync(empty);
        var elapsed = stopwatch.Elapsed;
        return value == BenchFunctions.Expected
            ? elapsed
            : throw new InvalidOperationException($"Benchmark \"{Name}\": the empty task on worker C returned {value}.");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
