using System.Diagnostics;
using OrleansRay.Bench.Harness;
using OrleansRay.ObjectStore;

namespace OrleansRay.Bench.Objects;

/// <summary>Milliseconds per zero-copy get of a sealed object over the socket client: get, touch first and last byte, dispose.</summary>
internal abstract class ZeroCopyGetBenchmark : Benchmark
{
    private const int Iterations = 2000;
    private StoreObjectId _id;
    private ObjectStoreBenchFixture? _fixture;

    public override string Unit => "ms";

    public override string Group => "objects";

    protected abstract int ObjectSize(ObjectStoreBenchFixture fixture);

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        _fixture = fixture;
        _id = StoreObjectId.NewId();
        await fixture.Client.PutAsync(_id, fixture.Source.AsMemory(0, ObjectSize(fixture)));
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var client = fixture.Client;
        var expected = ObjectSize(fixture);
        long touched = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < Iterations; i++)
        {
            using var buffer = await client.GetAsync(_id, TimeSpan.FromSeconds(30));
            var span = buffer.Span;
            touched += span[0] + span[^1] + span.Length;
        }

        var elapsed = stopwatch.Elapsed;
        if (touched < (long)Iterations * expected)
        {
            throw new InvalidOperationException("The zero-copy view had the wrong length.");
        }

        return elapsed.TotalMilliseconds / Iterations;
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
}
