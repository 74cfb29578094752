using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Interop;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Issue 14.5: an OrleansRay node hosts the application's ordinary Orleans grains (here <see cref="GuestbookGrain"/>,
/// defined in this test assembly, which under xunit is not the entry assembly), and drivers, tasks and actors reach
/// them through <see cref="IRay.GrainFactory"/>.</summary>
[Collection(RayCollection.Name)]
public sealed class GrainInteropTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IRay _ray;

    public GrainInteropTests(RayFixture fixture) => _ray = fixture.Ray;

    private static string NewBook() => "book-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task The_embedded_node_hosts_a_grain_of_the_test_assembly_and_driver_task_and_actor_call_it()
    {
        var book = NewBook();
        var grain = _ray.GrainFactory.GetGrain<IGuestbookGrain>(book);
        Assert.Equal(1, await grain.SignAsync("driver"));

        var fromTask = (await _ray.GetAsync(_ray.Task(GrainCallers.SignFromTask, book, "task").Remote(), Deadline)).Split('|');
        Assert.Equal("2", fromTask[1]);

        var clerk = _ray.Actor(() => new Clerk()).Remote();
        Assert.Equal(3, await _ray.GetAsync(clerk.Task((c, b, w) => c.Sign(b, w), book, "actor").Remote(), Deadline));

        // A grain reference is an ordinary value: it travels as a task's or an actor method's argument.
        Assert.Equal(4, await _ray.GetAsync(_ray.Task(GrainCallers.SignThroughReference, grain, "reference").Remote(), Deadline));
        Assert.Equal(5, await _ray.GetAsync(clerk.Task((c, g) => c.SignHeld(g), grain).Remote(), Deadline));

        Assert.Equal(["driver", "task", "actor", "reference", "clerk #2"], await grain.SignaturesAsync());
        // One node: the grain, the task and the driver's node are the same silo.
        Assert.Equal(fromTask[0], fromTask[2]);
        Assert.Equal(fromTask[0], await grain.NodeAsync());
    }

    [Fact]
    public async Task A_grain_interface_no_node_implements_fails_at_once_saying_the_class_must_be_on_the_node_at_start()
    {
        // From the driver: at GetGrain, before any message is sent.
        var driver = Assert.Throws<ArgumentException>(() => _ray.GrainFactory.GetGrain<IUnhostedGrain>("x"));
        AssertExplains(driver.Message);
        Assert.Contains("Could not find an implementation", driver.InnerException?.Message, StringComparison.Ordinal);

        // From a task: its exception, with the same message.
        var task = await Assert.ThrowsAsync<RayTaskException>(async () => await _ray.GetAsync(_ray.Task(GrainCallers.PingUnhosted, "x").Remote(), Deadline));
        Assert.Equal(typeof(ArgumentException).FullName, task.OriginalExceptionType);
        AssertExplains(task.Message);
    }

    internal static void AssertExplains(string message)
    {
        Assert.Contains($"No node of the cluster hosts a grain class implementing {typeof(IUnhostedGrain).FullName}", message, StringComparison.Ordinal);
        Assert.Contains("--load", message, StringComparison.Ordinal);
        Assert.Contains("shipped code", message, StringComparison.Ordinal);
    }
}
