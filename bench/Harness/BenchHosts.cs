using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.Bench.Core;

namespace OrleansRay.Bench.Harness;

/// <summary>The generic hosts the benchmarks run in this process (raw Orleans silo and client, in-process nodes):
/// built with the same quiet logging, started and stopped under the harness' timeouts, on free loopback ports.</summary>
internal static class BenchHosts
{
    /// <summary>A host builder without defaults, logging warnings and above to the console on one line each.</summary>
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Orleans warns at start that ServerGC is off; the bench keeps the same GC settings as the OrleansRay node.
        builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
        // Its first check after start warns of a stall as long as the machine's uptime: a bogus figure, not a stall.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        return builder;
    }

    /// <summary>Builds and starts the host; one that does not start in time is disposed and the failure thrown.</summary>
    public static async Task<IHost> StartAsync(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        try
        {
            await host.StartAsync().WaitAsync(Measure.StartTimeout);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Stops the host (10 s at most: stopping is best effort in teardown) and disposes it.</summary>
    public static async Task StopAsync(IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await host.StopAsync(stop.Token);
        }
        finally
        {
            host.Dispose();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
