using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>A 3-node cluster of real node processes on this machine: a head (<c>orleansray start --head</c>) and two
/// workers joining it (<c>orleansray start --address HEAD</c>), each a <see cref="NodeProcess"/> with its own
/// <c>orleansray-store</c> process, and a driver in this process connected through the head's gateway (it attaches the
/// head's store, as a driver on a node's machine does). Shared by the benchmarks of one harness run that use it, stopped
/// at its end: workers first, then the head, every process killed by pid if it outlives <c>orleansray stop</c>, also
/// when starting the cluster fails half-way.</summary>
/// <remarks>Each node offers 1 CPU (the machine has 2 cores; the benchmarks pin one task at a time to a worker with
/// <see cref="SchedulingStrategy.NodeAffinity"/>). The workers' stores have room for a few 256 MiB objects.</remarks>
internal sealed class ThreeNodeProcessCluster : IAsyncDisposable
{
    /// <summary>Bytes of each node's object store (the head's is the driver's): four 256 MiB objects, so a freed object's delete may lag behind
    /// the next put without the store having to spill.</summary>
    public const long WorkerObjectStoreMemory = 1L << 30;

    /// <summary>Head first, then worker B, then worker C.</summary>
    private readonly List<NodeProcess> _nodes = new();
    private IRay? _driver;

    private ThreeNodeProcessCluster()
    {
    }

    public IRay Driver => _driver ?? throw new InvalidOperationException("The cluster has no driver yet.");

    public NodeProcess Head => _nodes[0];

    /// <summary>The first worker.</summary>
    public NodeProcess WorkerB => _nodes[1];

    /// <summary>The second worker.</summary>
    public NodeProcess WorkerC => _nodes[2];

    /// <summary>The run's shared cluster, started on first use.</summary>
    public static Task<ThreeNodeProcessCluster> GetAsync(BenchEnvironment environment) => environment.GetAsync(StartAsync);

    /// <summary>The id of <paramref name="node"/> as the cluster knows it (for <see cref="SchedulingStrategy.NodeAffinity"/>).</summary>
    public async Task<NodeId> IdOfAsync(NodeProcess node)
    {
        var nodes = await Driver.NodesAsync();
        var matches = nodes.Where(n => n.IsAlive && node.Owns(n.Id)).ToList();
        return matches.Count == 1
            ? matches[0].Id
            : throw new InvalidOperationException($"{matches.Count} alive nodes of the cluster are the node process at {node.Address} (node port {node.NodePort}): {string.Join(", ", nodes)}");
    }

    private static async Task<ThreeNodeProcessCluster> StartAsync()
    {
        var cluster = new ThreeNodeProcessCluster();
        try
        {
            // The head's store is the driver's: "cross-node get" pulls 256 MiB objects into it.
            var head = await NodeProcess.StartHeadAsync(numCpus: 1, WorkerObjectStoreMemory);
            cluster._nodes.Add(head);
            for (var i = 0; i < 2; i++)
            {
                cluster._nodes.Add(await NodeProcess.StartWorkerAsync(head.Address, numCpus: 1, WorkerObjectStoreMemory));
            }

            cluster._driver = await ConnectedDriver.ConnectAsync(head.Address);
            await ConnectedDriver.WaitForAliveNodesAsync(cluster._driver, cluster._nodes.Count);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ConnectedDriver.DisconnectAsync(_driver);
        }
        finally
        {
            await NodeProcess.StopAllAsync(_nodes); // workers first, then the head
        }
    }
}
