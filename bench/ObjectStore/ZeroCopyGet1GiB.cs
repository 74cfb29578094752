namespace OrleansRay.Bench.Objects;

/// <summary>Latency of a zero-copy get of a 1 GiB object (64 MiB with --quick): it must not grow with the size.</summary>
internal sealed class ZeroCopyGet1GiB : ZeroCopyGetBenchmark
{
    public override string Name => "zero-copy get 1 GiB";

    protected override int ObjectSize(ObjectStoreBenchFixture fixture) => fixture.LargeSize;
}
