using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>A plain Orleans silo in this process (localhost clustering on free ports, nothing of OrleansRay), called
/// through its own <see cref="IGrainFactory"/>: in-process, as the embedded OrleansRay driver calls its node.</summary>
internal sealed class RawOrleansSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private RawOrleansSilo(IHost host, int gatewayPort, string clusterId)
    {
        _host = host;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
        GatewayPort = gatewayPort;
        ClusterId = clusterId;
    }

    public const string ServiceId = "orleansray-bench-raw";

    public IGrainFactory Grains { get; }

    /// <summary>The silo's gateway port on loopback, where an Orleans client connects.</summary>
    public int GatewayPort { get; }

    public string ClusterId { get; }

    /// <summary>The run's shared silo, started on first use.</summary>
    public static Task<RawOrleansSilo> SharedAsync(BenchEnvironment environment) => environment.GetAsync(StartAsync);

    /// <summary>The run's shared silo, started on first use.</summary>
    public static async Task<IGrainFactory> GrainsAsync(BenchEnvironment environment)
    {
        var silo = await SharedAsync(environment);
        return silo.Grains;
    }

    private static async Task<RawOrleansSilo> StartAsync()
    {
        var builder = BenchHosts.CreateBuilder();
        var (gatewayPort, clusterId) = (BenchHosts.FreePort(), "orleansray-bench-raw-" + Guid.NewGuid().ToString("N")[..12]);
        builder.UseOrleans(silo => silo.UseLocalhostClustering(BenchHosts.FreePort(), gatewayPort, serviceId: ServiceId, clusterId: clusterId));
        return new RawOrleansSilo(await BenchHosts.StartAsync(builder), gatewayPort, clusterId);
    }

    public ValueTask DisposeAsync() => new(BenchHosts.StopAsync(_host));
}
