using System.Diagnostics;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Objects;

/// <summary>GB/s of one store pulling a 1 GiB object from another over loopback TCP, straight into its arena.</summary>
internal sealed class PeerTransferGigabytes : Benchmark
{
    public override string Name => "peer transfer gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "objects";

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => PeerTransferBenchFixture.CreateAsync(environment.Quick));
        var client = fixture.DestinationClient;
        var stopwatch = Stopwatch.StartNew();
        await client.PullAsync(fixture.Id, fixture.Source.TransferEndPoint!);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (!await client.DeleteAsync(fixture.Id))
        {
            throw new InvalidOperationException("The pulled object was not in the destination store.");
        }

        return fixture.Size / seconds / 1e9;
    }
}
