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
}
