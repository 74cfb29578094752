using System.Diagnostics;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;
using OrleansRay.Bench.Objects;
using OrleansRay.Train.Collective;

namespace OrleansRay.Bench.Training;

/// <summary>Issue 16's "allreduce gigabytes": 4 rank actors on the embedded node allreduce (sum) a 64 MiB
/// <c>float[]</c> each with the Train collectives (ring over actor calls and the object store). The figure is the bus
/// bandwidth, as nccl-tests reports it: size / time × 2(N-1)/N, the bytes each rank sends (and receives) per second —
/// the figure a link's bandwidth compares with. Companions: the algorithm bandwidth (size / time), and the ratio to
/// the raw loopback socket measured in the same run, right before each allreduce.</summary>
internal sealed class AllReduceGigabytes : Benchmark
{
    private const int Ranks = 4;
    private readonly RawLoopbackSocketGigabytes _socket = new();
    private IRay? _ray;
    private ActorHandle<AllReducePeer>[] _peers = [];
    private string _group = "";
    private int _length;

    public override string Name => "allreduce gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "train";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var ray = _ray = await RayCluster.DriverAsync(environment);
        _length = (environment.Quick ? 4 << 20 : 64 << 20) / sizeof(float);
        _group = "bench-allreduce-" + Guid.NewGuid().ToString("N");
        var group = _group;
        _peers = Enumerable.Range(0, Ranks).Select(r => ray.Actor(() => new AllReducePeer(group, r, Ranks)).Options(AllReducePeer.Options()).Remote()).ToArray();
        var peers = _peers;
        var length = _length;
        await ray.GetAsync(_peers.Select(p => p.Task((x, all, n) => x.Connect(all, n), peers, length).Remote()));
        await _socket.SetupAsync(environment);
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var socket = await _socket.MeasureAsync(environment, run);

        await ray.GetAsync(_peers.Select(p => p.Task(x => x.Reset()).Remote()));
        var stopwatch = Stopwatch.StartNew();
        var results = await ray.GetAsync(_peers.Select(p => p.Task(x => x.AllReduce()).Remote())).WaitAsync(Measure.RunTimeout);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        const float Expected = Ranks * (Ranks + 1) / 2;
        if (results.SelectMany(r => r).Any(v => v != Expected))
        {
            throw new InvalidOperationException($"allreduce returned a wrong sum (expected {Expected} everywhere).");
        }

        var bytes = (double)_length * sizeof(float);
        var algorithm = bytes / seconds / 1e9;
        var bus = algorithm * 2 * (Ranks - 1) / Ranks;
        run.Report("allreduce algorithm gigabytes", algorithm, "GB/s");
        run.Report("allreduce ÷ raw loopback socket", bus / socket, "×");
        run.Report("raw loopback socket gigabytes (allreduce run)", socket, "GB/s");
        return bus;
    }

    public override async Task CleanupAsync()
    {
        await _socket.CleanupAsync();
        foreach (var peer in _peers)
        {
            await _ray!.KillAsync(peer);
        }

        CollectiveInbox.Drop(_group);
        _peers = [];
    }
}
