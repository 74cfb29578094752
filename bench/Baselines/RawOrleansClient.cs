using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Baselines;

/// <summary>A plain Orleans client connected to the raw baseline silo (<see cref="RawOrleansSilo"/>) through its gateway
/// on loopback: every call crosses TCP and Orleans' serialization both ways, as a connected OrleansRay driver's messages
/// do. The baseline of the connected benchmarks (the silo is in this process, the node of those is not).</summary>
internal sealed class RawOrleansClient : IAsyncDisposable
{
    private readonly IHost _host;

    private RawOrleansClient(IHost host)
    {
        _host = host;
        Grains = host.Services.GetRequiredService<IClusterClient>();
    }

    public IGrainFactory Grains { get; }

    /// <summary>The run's shared client (and the silo it connects to), started on first use.</summary>
    public static async Task<IGrainFactory> GrainsAsync(BenchEnvironment environment)
    {
        var silo = await RawOrleansSilo.SharedAsync(environment);
        var client = await environment.GetAsync(() => StartAsync(silo));
        return client.Grains;
    }

    private static async Task<RawOrleansClient> StartAsync(RawOrleansSilo silo)
    {
        var builder = BenchHosts.CreateBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(silo.GatewayPort, RawOrleansSilo.ServiceId, silo.ClusterId));
        return new RawOrleansClient(await BenchHosts.StartAsync(builder));
    }

    public ValueTask DisposeAsync() => new(BenchHosts.StopAsync(_host));
}
