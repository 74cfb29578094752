using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>Gets per second of small sealed objects that this client has never read: each get is a round trip to the
/// store (which grants a read lease), one awaited at a time — the cost <see cref="StoreGetCalls"/> pays once per id.</summary>
internal sealed class StoreGetCallsFirstLookup : Benchmark
{
    private const int Count = 5_000;

    public override string Name => "store get calls first lookup";

    public override string Unit => "/s";

    public override string Group => "objects";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var ids = Enumerable.Range(0, Count).Select(_ => StoreObjectId.NewId()).ToArray();
        foreach (var id in ids)
        {
            await fixture.WriteBehindClient.PutAsync(id, fixture.Source.AsMemory(0, 64));
        }

        await fixture.WriteBehindClient.FlushAsync();
        var timeout = TimeSpan.FromSeconds(30);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            using var buffer = await fixture.Client.GetAsync(id, timeout);
        }

        var rate = Count / stopwatch.Elapsed.TotalSeconds;
        run.Report("allocated bytes per first-lookup store get", (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / Count, "B");
        foreach (var batch in ids.Chunk(1000))
        {
            await fixture.Client.DeleteAsync(batch);
        }

        return rate;
    }
}
