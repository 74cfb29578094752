using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>Puts per second of small (64-byte) objects by one socket client with write-behind puts, each awaited before
/// the next, timed until the store has applied them all (<see cref="ObjectStoreClient.FlushAsync"/>).</summary>
/// <remarks>Companion: the bytes this process allocates per put (the store is embedded, so its side counts too).
/// <see cref="StorePutCallsAcknowledged"/> measures the same loop with one acknowledged round trip per put.</remarks>
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
        var rate = await PutAllAsync(fixture.WriteBehindClient, ids, fixture.Source.AsMemory(0, 64), run, "allocated bytes per store put");
        foreach (var batch in ids.Chunk(1000))
        {
            await fixture.Client.DeleteAsync(batch);
        }

        return rate;
    }

    internal static async Task<double> PutAllAsync(ObjectStoreClient client, StoreObjectId[] ids, ReadOnlyMemory<byte> payload, BenchRun run, string allocatedName)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            await client.PutAsync(id, payload);
        }

        await client.FlushAsync();
        var rate = ids.Length / stopwatch.Elapsed.TotalSeconds;
        run.Report(allocatedName, (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / ids.Length, "B");
        return rate;
    }
}

/// <summary>Puts per second of 64-byte objects by one socket client without write-behind: one acknowledged round trip each.</summary>
internal sealed class StorePutCallsAcknowledged : Benchmark
{
    private const int Count = 10_000;

    public override string Name => "store put calls acknowledged";

    public override string Unit => "/s";

    public override string Group => "objects";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var ids = Enumerable.Range(0, Count).Select(_ => StoreObjectId.NewId()).ToArray();
        var rate = await StorePutCalls.PutAllAsync(fixture.Client, ids, fixture.Source.AsMemory(0, 64), run, "allocated bytes per acknowledged store put");
        foreach (var batch in ids.Chunk(1000))
        {
            await fixture.Client.DeleteAsync(batch);
        }

        return rate;
    }
}
