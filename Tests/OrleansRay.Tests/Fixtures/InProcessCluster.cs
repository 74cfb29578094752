using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansRay.Transport;
using OrleansRay.Hosting;
using Xunit;
using OrleansRay.Node;

namespace OrleansRay.Tests.Fixtures;

/// <summary>Several OrleansRay nodes (silos) in this process, clustered over loopback like `orleansray start` nodes
/// (cluster id "orleansray", the first node the membership primary), so a connected driver reaches them through a gateway.
/// Process-level behaviour (kill -9, the CLI) is tested with real processes in OrleansRay.Cluster.Tests.</summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<Node> _nodes = new();
    private IPEndPoint? _primary;

    public sealed record Node(IHost Host, int SiloPort, int GatewayPort)
    {
        internal NodeRuntime Runtime => Host.Services.GetRequiredService<NodeRuntime>();

        public NodeId NodeId => Runtime.NodeId;

        public string GatewayAddress => $"127.0.0.1:{GatewayPort}";
    }

    public IReadOnlyList<Node> Nodes => _nodes;

    public string Address => _nodes[0].GatewayAddress;

    /// <summary>The cluster's auth token: its silos run TLS with it (<c>UseOrleansRayAuthToken</c>), as CLI nodes do.</summary>
    public string AuthToken { get; } = OrleansRay.ObjectStore.Security.ClusterCredentials.NewToken();

    /// <summary>The most bytes of body an Orleans message between these nodes (and from a driver to them) may carry;
    /// null for Orleans' default (100 MB). A few MiB lets a test show with small values what needs over 100 MB at the
    /// default: a message over it closes the connection that carries it.</summary>
    public int? MaxMessageBodySize { get; private init; }

    /// <summary>More node settings each node takes (after the fixture's own), or null.</summary>
    public Action<OrleansRay.RayNodeOptions>? ConfigureNode { get; private init; }

    public static Task<InProcessCluster> StartAsync(params (double Cpus, Dictionary<string, double>? Custom)[] nodes) =>
        StartAsync(new InProcessCluster(), nodes);

    /// <summary>Starts nodes that also take <paramref name="configure"/>'s settings (a code cache of their own, ...).</summary>
    public static Task<InProcessCluster> StartAsync(Action<OrleansRay.RayNodeOptions> configure, params (double Cpus, Dictionary<string, double>? Custom)[] nodes) =>
        StartAsync(new InProcessCluster { ConfigureNode = configure }, nodes);

    /// <summary>Starts nodes whose Orleans messages carry at most <paramref name="maxMessageBodySize"/> bytes of body.</summary>
    public static Task<InProcessCluster> StartAsync(int maxMessageBodySize, params (double Cpus, Dictionary<string, double>? Custom)[] nodes) =>
        StartAsync(new InProcessCluster { MaxMessageBodySize = maxMessageBodySize }, nodes);

    private static async Task<InProcessCluster> StartAsync(InProcessCluster cluster, (double Cpus, Dictionary<string, double>? Custom)[] nodes)
    {
        try
        {
            foreach (var (cpus, custom) in nodes)
            {
                await cluster.AddNodeAsync(cpus, custom);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private readonly OrleansRay.Ownership.LocalOwners _owners = new();

    public async Task<Node> AddNodeAsync(double cpus, Dictionary<string, double>? custom = null)
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        _primary ??= new IPEndPoint(IPAddress.Loopback, siloPort);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ConnectedCluster.ClusterId, ConnectedCluster.ClusterId));
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            silo.UseDevelopmentClustering(_primary);
            silo.UseOrleansRayAuthToken(AuthToken);
            if (MaxMessageBodySize is { } limit)
            {
                silo.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = limit);
            }

            // Orleans' default membership timing, not the CLI's 1 s probes: several of these clusters run side by side
            // in one test process, and under that load 1 s probes declared live silos dead.
            // The nodes share this process, so they share its registry of owners (a ref of another node is read
            // straight from its owner's table, as with several nodes in one process anywhere).
            silo.Services.AddSingleton(_owners);
            silo.UseOrleansRay(node =>
            {
                node.NumCpus = cpus;
                // A store per node (memory is taken as objects arrive): large values live there and move store-to-store.
                node.ObjectStoreMemory = 64L << 20;
                node.Memory = 1L << 30;
                foreach (var (name, amount) in custom ?? new())
                {
                    node.Resources[name] = amount;
                }

                ConfigureNode?.Invoke(node);
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        var node = new Node(host, siloPort, gatewayPort);
        _nodes.Add(node);
        // Ready when the control store's node table (on the first node) lists every node alive.
        await Eventually.TrueAsync(async () =>
        {
            var rows = await _nodes[0].Runtime.GrainFactory.GetGrain<OrleansRay.Grains.INodeTableGrain>(0).ListAsync();
            return _nodes.All(n => rows.Any(r => r.NodeId == n.NodeId && r.IsAlive));
        }, TimeSpan.FromSeconds(20), "every node is in the node table");
        return node;
    }

    /// <summary>Stops one node (gracefully: its silo leaves the cluster).</summary>
    public async Task StopNodeAsync(Node node)
    {
        _nodes.Remove(node);
        await node.Host.StopAsync();
        node.Host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            try
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _nodes[i].Host.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopping is best effort in teardown; dispose releases the ports.
            }

            _nodes[i].Host.Dispose();
        }

        _nodes.Clear();
    }

    private static int FreePort() => OrleansRay.Tests.Processes.TestPorts.Free();
}
