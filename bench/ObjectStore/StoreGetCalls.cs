using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>Gets per second of small sealed objects by one socket client, each awaited and its buffer disposed before the next.</summary>
/// <remarks>1,000 distinct ids read 10 times each: the first get of an id asks the store (and is granted a read lease),
/// the next ones read the arena through the lease (docs/adr/0020-store-fast-path.md). Companion: the bytes this process
/// allocates per get (GC.GetTotalAllocatedBytes delta; the store is embedded, so its side counts too).</remarks>
internal sealed class StoreGetCalls : Benchmark
{
    private const int Count = 10_000;
    private const int Distinct = 1000;
    private StoreObjectId[] _ids = [];
    private ObjectStoreBenchFixture? _fixture;

    public override string Name => "store get calls";

    public override string Unit => "/s";

    public override string Group => "objects";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        _fixture = fixture;
        _ids = Enumerable.Range(0, Distinct).Select(_ => StoreObjectId.NewId()).ToArray();
        foreach (var id in _ids)
        {
            await fixture.Client.PutAsync(id, fixture.Source.AsMemory(0, 64));
        }
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var timeout = TimeSpan.FromSeconds(30);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            using var buffer = await fixture.Client.GetAsync(_ids[i % Distinct], timeout);
        }

        var rate = Count / stopwatch.Elapsed.TotalSeconds;
        run.Report("allocated bytes per store get", (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / Count, "B");
        return rate;
    }

    public override async Task CleanupAsync()
    {
        if (_fixture is not null)
        {
            await _fixture.Client.DeleteAsync(_ids);
        }

        _fixture = null; // the fixture holds a 1 GiB source array: not past its group (the harness releases it)
    }
}
