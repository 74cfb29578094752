using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansRay.Transport;
using OrleansRay.Bench.Core;
using OrleansRay.Bench.Harness;
using OrleansRay.Hosting;

namespace OrleansRay.Bench.Connected;

/// <summary>A 3-node cluster inside this process: three Orleans silos with the OrleansRay runtime, clustered over
/// loopback as <c>orleansray start</c> nodes are (cluster id "orleansray", the first node the membership primary), and a
/// driver connected through the first node's gateway.</summary>
/// <remarks>In-process because this machine has 2 cores: three node processes and a driver would measure four thread
/// pools and four GCs fighting over them. Silo-to-silo and client-to-gateway traffic still goes over loopback TCP with
/// Orleans' serialization, as between machines. Each node offers 1 CPU (3 CPUs on a 2-core machine) and no object
/// store (every value in these benchmarks is small and stays inline). Shared by the 3-node benchmarks of a run.</remarks>
internal sealed class ThreeInProcessNodes : IAsyncDisposable
{
    public const int NodeCount = 3;

    private readonly List<IHost> _hosts = new();
    private IRay? _driver;
    private volatile bool _stopping;

    private ThreeInProcessNodes()
    {
    }

    public IRay Driver => _driver ?? throw new InvalidOperationException("The cluster has no driver yet.");

    /// <summary>The run's shared cluster's driver, started on first use.</summary>
    public static async Task<IRay> DriverAsync(BenchEnvironment environment)
    {
        var cluster = await environment.GetAsync(StartAsync);
        return cluster.Driver;
    }

    private static async Task<ThreeInProcessNodes> StartAsync()
    {
        var cluster = new ThreeInProcessNodes();
        try
        {
            var gateway = 0;
            IPEndPoint? primary = null;
            for (var i = 0; i < NodeCount; i++)
            {
                var (siloPort, gatewayPort) = (BenchHosts.FreePort(), BenchHosts.FreePort());
                primary ??= new IPEndPoint(IPAddress.Loopback, siloPort);
                gateway = gateway == 0 ? gatewayPort : gateway;
                cluster._hosts.Add(await BenchHosts.StartAsync(cluster.CreateNode(primary, siloPort, gatewayPort)));
            }

            cluster._driver = await ConnectedDriver.ConnectAsync($"127.0.0.1:{gateway}");
            await ConnectedDriver.WaitForAliveNodesAsync(cluster._driver, NodeCount);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private readonly OrleansRay.Ownership.LocalOwners _owners = new();

    private HostApplicationBuilder CreateNode(IPEndPoint primary, int siloPort, int gatewayPort)
    {
        var builder = BenchHosts.CreateBuilder();
        // Once the cluster is being taken down, nodes leaving are expected, not news: only critical lines get through.
        builder.Logging.AddFilter((_, _, level) => level >= (_stopping ? LogLevel.Critical : LogLevel.Warning));
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ConnectedCluster.ClusterId, ConnectedCluster.ClusterId));
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            silo.UseDevelopmentClustering(primary);
            silo.UseOrleansRayAuthToken(ConnectedDriver.AuthToken);
            // Three nodes in one process share its registry of owners.
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(silo.Services, _owners);
            silo.UseOrleansRay(node =>
            {
                node.NumCpus = 1;
                node.ObjectStoreMemory = 0;
                node.Memory = 1L << 30;
            });
        });
        return builder;
    }

    public async ValueTask DisposeAsync()
    {
        await ConnectedDriver.DisconnectAsync(_driver);
        _stopping = true;
        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            try
            {
                await BenchHosts.StopAsync(_hosts[i]);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or TimeoutException)
            {
                Console.Error.WriteLine($"warning: in-process node {i} did not stop cleanly ({ex.Message}); disposed.");
            }
        }

        _hosts.Clear();
    }
}
