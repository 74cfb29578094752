using Microsoft.Extensions.Logging;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Starting embedded nodes with options; each test starts and disposes its own node.</summary>
public sealed class InitTests
{
    [Fact]
    public async Task InitAsync_with_options_starts_a_node_with_those_resources()
    {
        await using IRay ray = await Ray.InitAsync(new RayOptions
        {
            NumCpus = 3,
            NumGpus = 1,
            Resources = { ["accel"] = 2 },
            ObjectStoreMemory = 512L << 20,
        });
        var total = await ray.ClusterResourcesAsync();
        Assert.Equal(3, total["CPU"]);
        Assert.Equal(1, total["GPU"]);
        Assert.Equal(2, total["accel"]);
        Assert.Equal(512L << 20, total["object_store_memory"]);
        Assert.Same(ray, Ray.Current);
        Assert.Equal(4, await ray.Task(TestFunctions.Square, 2).Remote());
    }

    [Fact]
    public async Task Default_init_uses_the_machines_cpu_count()
    {
        await using IRay ray = await Ray.InitAsync();
        var total = await ray.ClusterResourcesAsync();
        Assert.Equal(Environment.ProcessorCount, total["CPU"]);
    }

    [Fact]
    public async Task Disposing_the_driver_ends_its_job_and_Current_forgets_it()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1 });
        var counter = ray.Actor(() => new Actors.Counter(0)).Remote();
        Assert.Equal(1, await counter.Task(c => c.Increment()).Remote());
        await ray.DisposeAsync();
        Assert.Throws<InvalidOperationException>(() => Ray.Current);
        Assert.Throws<ObjectDisposedException>(() => ray.Task(TestFunctions.Square, 1).Remote());
    }

    [Fact]
    public async Task Bad_options_are_refused_before_anything_starts()
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Ray.InitAsync(new RayOptions { NumCpus = -1 }));
        Assert.Contains("NumCpus", ex.Message);
        var ex2 = await Assert.ThrowsAsync<ArgumentException>(() => Ray.InitAsync(new RayOptions { Resources = { ["CPU"] = 2 } }));
        Assert.Contains("NumCpus", ex2.Message);
        var ex3 = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Ray.InitAsync(new RayOptions { ObjectStoreMemory = -5 }));
        Assert.Contains("ObjectStoreMemory", ex3.Message);
        // Too small to hold a large value (issue 9, case 13): refused naming the minimum, not at the first put.
        var ex4 = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Ray.InitAsync(new RayOptions { ObjectStoreMemory = 10 }));
        Assert.Contains("RayOptions.ObjectStoreMemory", ex4.Message);
        Assert.Contains("33554432", ex4.Message);
    }

    [Fact]
    public async Task Ray_Current_without_a_driver_says_what_to_do()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Ray.Current);
        Assert.Contains("Ray.InitAsync", ex.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_start_whose_port_was_taken_meanwhile_starts_again_on_new_ports_without_logging_the_failed_start()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var log = new RecordingLoggerProvider();
        var picks = 0;

        // The first start is given the held port for both the silo and the gateway; later ones any free port.
        await using (var ray = await Ray.InitAsync(new RayOptions
        {
            NumCpus = 1,
            LogTo = log,
            PickPort = () => Interlocked.Increment(ref picks) <= 2 ? taken : OrleansRay.Tests.Processes.TestPorts.Free(),
        }))
        {
            Assert.Equal(4, await ray.GetAsync(ray.Task(TestFunctions.Square, 2).Remote(), TimeSpan.FromSeconds(30)));
        }

        Assert.True(picks >= 4, $"the start was tried again ({picks} ports picked)");
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);

        // When every attempt finds its port taken, the last one's errors are logged and InitAsync throws the cause.
        var lastLog = new RecordingLoggerProvider();
        await Assert.ThrowsAnyAsync<Exception>(() => Ray.InitAsync(new RayOptions { NumCpus = 1, LogTo = lastLog, PickPort = () => taken }));
        Assert.Contains(lastLog.Entries, e => e.Level >= LogLevel.Error && e.Category == "Orleans.Runtime.SiloLifecycleSubject");
    }
}
