using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Connected;

/// <summary>The connected benchmarks' cluster: one head node in its own process (<see cref="NodeProcess"/>, offering the
/// machine's cores as CPUs, as <c>orleansray start --head</c> does by default) and a driver in this process connected to
/// it through its gateway. Shared by the connected benchmarks of one harness run, stopped at its end.</summary>
internal sealed class OneNodeProcessCluster : IAsyncDisposable
{
    private readonly NodeProcess _node;

    private OneNodeProcessCluster(NodeProcess node, IRay driver)
    {
        _node = node;
        Driver = driver;
    }

    public IRay Driver { get; }

    /// <summary>The run's shared cluster's driver, started on first use.</summary>
    public static async Task<IRay> DriverAsync(BenchEnvironment environment)
    {
        var cluster = await environment.GetAsync(StartAsync);
        return cluster.Driver;
    }

    private static async Task<OneNodeProcessCluster> StartAsync()
    {
        var node = await NodeProcess.StartHeadAsync(Environment.ProcessorCount);
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
