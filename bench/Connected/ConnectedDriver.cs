using System.Diagnostics;
using OrleansRay.Bench.Core;

namespace OrleansRay.Bench.Connected;

/// <summary>Connects a driver (<c>Ray.InitAsync</c> with an address: an Orleans client through the node's gateway) and
/// disconnects it, each under the harness' start timeout.</summary>
internal static class ConnectedDriver
{
    /// <summary>Unrecorded runs of the connected benchmarks: three, not the harness' one, because their cluster has just
    /// started; its code is still being compiled (tiered JIT) in the first seconds, which on 2 cores takes CPU from the run.</summary>
    public const int Warmups = 3;

    /// <summary>The least warm-up time of the connected round-trip rows (<see cref="Benchmark.WarmupTime"/>). Their code
    /// is spread over two processes, each compiling its part (tier 0, then instrumented, then tier 1) only as the row
    /// calls it: on 2 cores "connected 1:1 actor calls sync" ran 700–1,000 calls/s for its first 5 s, 2,000–3,500/s
    /// for the next 5 s and 4,000–5,000/s from the 11th second on (20 runs, 2026-12-01). Three 1-second warm-ups
    /// measured the compiler, not the round trip.</summary>
    public static readonly TimeSpan RoundTripWarmupTime = TimeSpan.FromSeconds(15);

    /// <summary>The token of every cluster the bench starts: clusters are secure by default (TLS 1.3 on every
    /// connection), and the bench measures the default.</summary>
    public static readonly string AuthToken = OrleansRay.ObjectStore.Security.ClusterCredentials.NewToken();

    public static async Task<IRay> ConnectAsync(string address) =>
        await Ray.InitAsync(new RayOptions { Address = address, AuthToken = AuthToken }).WaitAsync(Measure.StartTimeout);

    /// <summary>Waits until the driver sees <paramref name="count"/> nodes alive (a node's resources reach the control
    /// store shortly after it starts); a cluster that does not get there in time fails the setup.</summary>
    public static async Task WaitForAliveNodesAsync(IRay driver, int count)
    {
        var waited = Stopwatch.StartNew();
        IReadOnlyList<NodeInfo> nodes = Array.Empty<NodeInfo>();
        while (waited.Elapsed < Measure.StartTimeout)
        {
            nodes = await driver.NodesAsync().WaitAsync(Measure.StartTimeout);
            if (nodes.Count(n => n.IsAlive) == count)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The driver saw {nodes.Count(n => n.IsAlive)} of {count} nodes alive after {Measure.StartTimeout.TotalSeconds:F0} s: {string.Join(", ", nodes)}");
    }

    /// <summary>Disposes the driver; one that does not finish in time is reported and abandoned, not awaited forever.</summary>
    public static async Task DisconnectAsync(IRay? driver)
    {
        if (driver is null)
        {
            return;
        }

        try
        {
            await driver.DisposeAsync().AsTask().WaitAsync(Measure.StartTimeout);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"warning: disconnecting the OrleansRay driver took longer than {Measure.StartTimeout.TotalSeconds:F0} s; abandoned.");
        }
    }
}
