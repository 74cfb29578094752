namespace OrleansRay.Bench.Objects;

/// <summary>Latency of a zero-copy get of a 1 MiB object.</summary>
internal sealed class ZeroCopyGet1MiB : ZeroCopyGetBenchmark
{
    public override string Name => "zero-copy get 1 MiB";

    protected override int ObjectSize(ObjectStoreBenchFixture fixture) => 1 << 20;
}
