using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>GB/s of one client putting a 1 GiB byte array into the store (create, copy into shared memory, seal).</summary>
internal sealed class SingleClientPutGigabytes : Benchmark
{
    private const int PutsPerRun = 3;

    public override string Name => "single client put gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "objects";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var elapsed = TimeSpan.Zero;
        for (var i = 0; i < PutsPerRun; i++)
        {
            var id = StoreObjectId.NewId();
            var stopwatch = Stopwatch.StartNew();
            await fixture.Client.PutAsync(id, fixture.Source);
            elapsed += stopwatch.Elapsed;
            await fixture.Client.DeleteAsync(id);
        }

        return (double)PutsPerRun * fixture.LargeSize / elapsed.TotalSeconds / 1e9;
    }
}
