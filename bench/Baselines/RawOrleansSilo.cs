using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>A plain Orleans silo in this process (localhost clustering on free ports, nothing of OrleansRay), called
/// through its own <see cref="IGrainFactory"/>: in-process, as the embedded OrleansRay driver calls its node.</summary>
internal sealed class RawOrleansSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private RawOrleansSilo(IHost host)
    {
        _host = host;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory Grains { get; }

    /// <summary>The run's shared silo, started on first use.</summary>
    public static async Task<IGrainFactory> GrainsAsync(BenchEnvironment environment)
    {
        var silo = await environment.GetAsync(StartAsync);
        return silo.Grains;
    }

    private static async Task<RawOrleansSilo> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Orleans warns at start that ServerGC is off; the bench keeps the same GC settings as the OrleansRay node.
        builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
        // Its first check after start warns of a stall as long as the machine's uptime: a bogus figure, not a stall.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.UseOrleans(silo => silo.UseLocalhostClustering(
            FreeTcpPort(), FreeTcpPort(), serviceId: "orleansray-bench-raw", clusterId: "orleansray-bench-raw-" + Guid.NewGuid().ToString("N")[..12]));
        var host = builder.Build();
        try
        {
            await host.StartAsync().WaitAsync(Measure.StartTimeout);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new RawOrleansSilo(host);
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(stop.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
