using Microsoft.Extensions.Logging;
using OrleansRay.Execution;
using OrleansRay.Hosting;
using OrleansRay.Internal;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Options at the edges: a node with far more logical CPUs than threads a process can run, enum options out of
/// range, "auto" with the job API's URL in $ORLEANSRAY_ADDRESS (reviewer's defects, 2026-12-05), and a URL (the
/// dashboard's) as the address.</summary>
public sealed class RayOptionsLimitsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static CountdownEvent? _arrived;
    private static ManualResetEventSlim? _gate;

    [Theory]
    [InlineData(1_000_000d)]
    [InlineData(1e9)]
    [InlineData(1e300)]
    public void A_huge_cpu_count_keeps_its_resource_but_not_a_thread_per_cpu(double cpus)
    {
        var runtime = NodeRuntimeOptionsFactory.Create(new RayNodeOptions { NumCpus = cpus });

        Assert.Equal(cpus, runtime.Resources[ResourceSet.Cpu]);
        Assert.Equal(NodeRuntimeOptionsFactory.EagerWorkerThreads, runtime.MinWorkerThreads);
        Assert.Equal(WorkerPool.ThreadLimit, runtime.MaxWorkerThreads);
    }

    [Fact]
    public void Ordinary_cpu_counts_start_a_thread_per_cpu_and_may_grow_to_one_per_cpu()
    {
        var two = NodeRuntimeOptionsFactory.Create(new RayNodeOptions { NumCpus = 2 });
        Assert.Equal(2, two.MinWorkerThreads);
        Assert.Equal(1024, two.MaxWorkerThreads); // room for blocked functions, as before

        var none = NodeRuntimeOptionsFactory.Create(new RayNodeOptions { NumCpus = 0 });
        Assert.Equal(1, none.MinWorkerThreads);

        // More CPUs than the default maximum: every CPU slot can still hold a running (or blocked) function.
        var many = NodeRuntimeOptionsFactory.Create(new RayNodeOptions { NumCpus = 2000.5 });
        Assert.Equal(2001, many.MaxWorkerThreads);
        Assert.Equal(Math.Min(2001, NodeRuntimeOptionsFactory.EagerWorkerThreads), many.MinWorkerThreads);
    }

    [Fact]
    public void A_worker_pool_never_takes_more_than_its_thread_limit()
    {
        using var pool = new WorkerPool("limits", minThreads: 1, maxThreads: int.MaxValue);
        Assert.Equal(WorkerPool.ThreadLimit, pool.MaximumConcurrencyLevel);
        Assert.Equal(1, pool.ThreadCount);
    }

    [Fact]
    public async Task An_embedded_node_with_a_million_cpus_starts_runs_blocked_tasks_at_once_and_stops()
    {
        await using IRay ray = await Ray.InitAsync(new RayOptions { NumCpus = 1_000_000 });
        var pool = ((RayInstance)ray).Runtime.Pool;
        Assert.InRange(pool.ThreadCount, 1, NodeRuntimeOptionsFactory.EagerWorkerThreads);
        Assert.Equal(1_000_000, (await ray.ClusterResourcesAsync())["CPU"]);
        Assert.Equal(49, await ray.Task(Functions.TestFunctions.Square, 7).Remote());

        // More tasks than the threads started up front, each blocked until all of them run: the pool adds threads on
        // demand (a thread per logical CPU up front is not needed for them all to run at once).
        var count = NodeRuntimeOptionsFactory.EagerWorkerThreads + 16;
        _arrived = new CountdownEvent(count);
        _gate = new ManualResetEventSlim();
        try
        {
            var results = Enumerable.Range(0, count).Select(_ => ray.Task(static () => BlockUntilAllArrived()).Remote()).ToList();
            Assert.True(_arrived.Wait(Deadline), $"only {count - _arrived.CurrentCount} of {count} blocking tasks ran at once within {Deadline.TotalSeconds:F0} s");
            _gate.Set();
            foreach (var result in results)
            {
                Assert.True(await ray.GetAsync(result, Deadline));
            }

            Assert.InRange(pool.ThreadCount, count, WorkerPool.ThreadLimit);
        }
        finally
        {
            _gate.Set();
        }
    }

    private static bool BlockUntilAllArrived()
    {
        _arrived!.Signal();
        return _gate!.Wait(Deadline);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(-1)]
    public async Task A_log_level_that_is_not_one_is_refused_naming_the_option(int level)
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Ray.InitAsync(new RayOptions { LogLevel = (LogLevel)level }));
        Assert.Contains("RayOptions.LogLevel", ex.Message);
        Assert.Contains("Warning", ex.Message); // names the values it takes
        Assert.Equal(nameof(RayOptions.LogLevel), ex.ParamName);
    }

    [Fact]
    public async Task Every_defined_log_level_is_accepted()
    {
        await using IRay ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, LogLevel = LogLevel.None });
        Assert.Equal(4, await ray.Task(Functions.TestFunctions.Square, 2).Remote());
    }

    [Theory]
    [InlineData("http://127.0.0.1:8265")]
    [InlineData("  HTTPS://head.example:8265/  ")]
    public void Auto_skips_a_job_api_url_in_the_address_variable_and_reads_the_address_file(string url)
    {
        var root = Directory.CreateTempSubdirectory("orleansray-auto-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "orleansray_current_cluster"), "127.0.0.1:30123\n");
            var environment = EnvironmentOf(url, root);

            Assert.Equal("127.0.0.1:30123", ConnectedCluster.ResolveAddress("auto", environment));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Auto_with_only_a_job_api_url_says_the_variable_held_one()
    {
        var root = Directory.CreateTempSubdirectory("orleansray-auto-").FullName;
        try
        {
            var ex = Assert.Throws<RayException>(() => ConnectedCluster.ResolveAddress("auto", EnvironmentOf("http://10.0.0.5:8265", root)));
            Assert.Contains("http://10.0.0.5:8265", ex.Message);
            Assert.Contains("job API", ex.Message);
            Assert.Contains(Path.Combine(root, "orleansray_current_cluster"), ex.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Auto_still_takes_a_gateway_address_from_the_variable_and_says_when_nothing_is_set()
    {
        var root = Directory.CreateTempSubdirectory("orleansray-auto-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "orleansray_current_cluster"), "127.0.0.1:30123");
            Assert.Equal("10.0.0.5:30000", ConnectedCluster.ResolveAddress("auto", EnvironmentOf(" 10.0.0.5:30000 ", root)));
            Assert.Equal("10.0.0.5:30000", ConnectedCluster.ResolveAddress("10.0.0.5:30000", EnvironmentOf("http://x:8265", root)));

            File.Delete(Path.Combine(root, "orleansray_current_cluster"));
            var ex = Assert.Throws<RayException>(() => ConnectedCluster.ResolveAddress("auto", EnvironmentOf(null, root)));
            Assert.Contains("is not set", ex.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:31265")]
    [InlineData("ray://head.example:10001")]
    public async Task An_address_that_is_a_URL_is_refused_saying_to_give_the_gateway_host_and_port(string url)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Ray.InitAsync(new RayOptions { Address = url }));
        Assert.Equal(nameof(RayOptions.Address), ex.ParamName);
        Assert.StartsWith($"RayOptions.Address = \"{url}\" is a URL: a driver connects to the cluster's gateway \"HOST:PORT\", e.g. \"127.0.0.1:30000\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("`orleansray job` verbs", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot be resolved", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_options_given_with_an_address_are_refused_as_Ray_refuses_num_cpus_when_connecting()
    {
        // Nothing listens on port 1: the check comes before any connection.
        var one = await Assert.ThrowsAsync<ArgumentException>(() => Ray.InitAsync(new RayOptions { Address = "127.0.0.1:1", NumCpus = 3 }));
        Assert.Equal(nameof(RayOptions.NumCpus), one.ParamName);
        Assert.StartsWith("RayOptions.NumCpus is set together with Address = \"127.0.0.1:1\": a connected driver adds no resources or store to the cluster", one.Message, StringComparison.Ordinal);
        Assert.Contains("Remove it, or leave Address null to start an embedded node with it.", one.Message, StringComparison.Ordinal);

        var several = new RayOptions { Address = "auto", NumGpus = 1, ObjectStoreMemory = 64L << 20, Memory = 1 << 30 };
        several.Resources["accel"] = 1;
        var many = await Assert.ThrowsAsync<ArgumentException>(() => Ray.InitAsync(several));
        Assert.StartsWith("RayOptions.NumGpus, RayOptions.Resources, RayOptions.ObjectStoreMemory, RayOptions.Memory are set together with Address = \"auto\"", many.Message, StringComparison.Ordinal);
    }

    /// <summary>An environment of its own for the test (the process's variables are shared by tests running at once).</summary>
    private static Func<string, string?> EnvironmentOf(string? address, string root) => name => name switch
    {
        ConnectedCluster.AddressVariable => address,
        "ORLEANSRAY_TEMP_DIR" => root,
        _ => null,
    };
}
