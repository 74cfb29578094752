using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>The embedded OrleansRay node shared by every Ray benchmark of one harness run.</summary>
/// <remarks>Started with the defaults a user gets from <c>Ray.InitAsync()</c> (NumCpus = the machine's cores), like
/// Ray's microbenchmark starts <c>ray.init()</c>.</remarks>
internal sealed class RayCluster : IAsyncDisposable
{
    private RayCluster(IRay driver) => Driver = driver;

    public IRay Driver { get; }

    /// <summary>The run's shared cluster, started on first use.</summary>
    public static async Task<IRay> DriverAsync(BenchEnvironment environment)
    {
        var cluster = await environment.GetAsync(StartAsync);
        return cluster.Driver;
    }

    private static async Task<RayCluster> StartAsync()
    {
        var driver = await Ray.InitAsync(new RayOptions()).WaitAsync(Measure.StartTimeout);
        return new RayCluster(driver);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Driver.DisposeAsync().AsTask().WaitAsync(Measure.StartTimeout);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"warning: disposing the OrleansRay driver took longer than {Measure.StartTimeout.TotalSeconds:F0} s; abandoned.");
        }
    }
}
