using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>GB/s of one client getting a sealed 1 GiB object and reading every byte of it in place (zero-copy get plus one read pass).</summary>
/// <remarks>A get alone is O(1) (see "zero-copy get 1 GiB"); the read pass makes the figure the rate at which a reader can consume objects.</remarks>
internal sealed class SingleClientGetGigabytes : Benchmark
{
    private const int GetsPerRun = 3;
    private StoreObjectId _id;
    private ObjectStoreBenchFixture? _fixture;

    public override string Name => "single client get gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "objects";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        _fixture = fixture;
        _id = StoreObjectId.NewId();
        await fixture.Client.PutAsync(_id, fixture.Source);
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        ulong checksum = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < GetsPerRun; i++)
        {
            using var buffer = await fixture.Client.GetAsync(_id, TimeSpan.FromSeconds(30));
            checksum += Sum(buffer.Span);
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (checksum == 0)
        {
            throw new InvalidOperationException("The object read back as zeros.");
        }

        return (double)GetsPerRun * fixture.LargeSize / seconds / 1e9;
    }

    public override async Task CleanupAsync()
    {
        // Frees the arena for the next benchmark (the fixture is shared).
        if (_fixture is not null)
        {
            await _fixture.Client.DeleteAsync(_id);
        }

        _fixture = null; // the fixture holds a 1 GiB source array: not past its group (the harness releases it)
    }

    private static ulong Sum(ReadOnlySpan<byte> bytes)
    {
        var vectors = MemoryMarshal.Cast<byte, Vector<ulong>>(bytes);
        var acc = Vector<ulong>.Zero;
        foreach (var v in vectors)
        {
            acc += v;
        }

        return Vector.Sum(acc);
    }
}
