using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>The connected benchmarks' cluster: one head node in its own process (<see cref="NodeProcess"/>, offering the
/// machine's cores as CPUs, as <c>orleansray start --head</c> does by default) and a driver in this process connected to
/// it through its gateway. Shared by the connected benchmarks of one harness run, stopped at its end.</summary>
/// <remarks>The node's object store has room for the 1 GiB object of "connected driver zero-copy get 1 GiB"; its pages
/// are committed only when objects are put, so the task and actor benchmarks, which store nothing, do not pay for it.</remarks>
internal sealed class OneNodeProcessCluster : IAsyncDisposable
{
    /// <summary>Bytes of the node's object store: a 1 GiB object and room to spare.</summary>
    public const long ObjectStoreMemory = 2L << 30;

    private readonly NodeProcess _node;

    private OneNodeProcessCluster(NodeProcess node, IRay driver)
    {
        _node = node;
        Driver = driver;
    }

    public IRay Driver { get; }

    /// <summary>The node process the driver is connected through.</summary>
    public NodeProcess Node => _node;

    /// <summary>The run's shared cluster, started on first use.</summary>
    public static Task<OneNodeProcessCluster> GetAsync(BenchEnvironment environment) => environment.GetAsync(StartAsync);

    /// <summary>The run's shared cluster's driver, started on first use.</summary>
    public static async Task<IRay> DriverAsync(BenchEnvironment environment)
    {
        var cluster = await GetAsync(environment);
        return cluster.Driver;
    }

    private static async Task<OneNodeProcessCluster> StartAsync()
    {
        var node = await NodeProcess.StartHeadAsync(Environment.ProcessorCount, ObjectStoreMemory);
        try
        {
            return new OneNodeProcessCluster(node, await ConnectedDriver.ConnectAsync(node.Address));
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ConnectedDriver.DisconnectAsync(Driver);
        }
        finally
        {
            await _node.DisposeAsync();
        }
    }
}
