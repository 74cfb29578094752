using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>Puts per second of small (64-byte) objects by one socket client, each awaited before the next (create + copy + seal).</summary>
internal sealed class StorePutCalls : Benchmark
{
    private const int Count = 10_000;

    public override string Name => "store put calls";

    public override string Unit => "/s";

    public override string Group => "objects";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var ids = Enumerable.Range(0, Count).Select(_ => StoreObjectId.NewId()).ToArray();
        var payload = fixture.Source.AsMemory(0, 64);
        var stopwatch = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            await fixture.Client.PutAsync(id, payload);
        }

        var rate = Count / stopwatch.Elapsed.TotalSeconds;
        foreach (var batch in ids.Chunk(1000))
        {
            await fixture.Client.DeleteAsync(batch);
        }

        return rate;
    }
}
