using OrleansRay.Internal;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Placement;

/// <summary>A task or actor that asks for more than any live node has waits, infeasible; as Ray's driver does, the driver
/// says so in one warning per shape (not per task, and not again until the shape became feasible and then infeasible
/// again), naming the shape, the most one node has, and what to do. Each test starts its own driver (and cluster) and
/// disposes it.</summary>
public sealed class InfeasibleWarningTests
{
    private const string CannotBeScheduled = "cannot be scheduled right now";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_embedded_driver_warns_once_per_infeasible_shape_and_never_for_feasible_work()
    {
        var log = new RecordingLoggerProvider();
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(ray);

        // Feasible work runs and says nothing.
        Assert.Equal(9, await ray.GetAsync(ray.Task(TestFunctions.Square, 3).Options(new TaskOptions { NumCpus = 2 }).Remote(), Deadline));

        // Three tasks of one infeasible shape and one of another: one warning per shape.
        var big = new TaskOptions { NumCpus = 64 };
        var accel = new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } };
        var waiting = Enumerable.Range(0, 3).Select(i => ray.Task(TestFunctions.Square, i).Options(big).Remote()).ToList();
        waiting.Add(ray.Task(TestFunctions.Square, 5).Options(accel).Remote());
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 2, Deadline, "a warning for each infeasible shape");

        // More of the same shapes, and a feasible task, over several more refreshes of the view: no more warnings.
        waiting.Add(ray.Task(TestFunctions.Square, 6).Options(big).Remote());
        waiting.Add(ray.Task(TestFunctions.Square, 7).Options(accel).Remote());
        Assert.Equal(16, await ray.GetAsync(ray.Task(TestFunctions.Square, 4).Remote(), Deadline));
        await RefreshesAsync(runtime, 3);
        var warnings = log.Warnings(CannotBeScheduled);
        Assert.Equal(2, warnings.Count);
        var cpu = Assert.Single(warnings, w => w.Message.Contains("{\"CPU\": 64.0}", StringComparison.Ordinal));
        Assert.StartsWith("Tasks that ask for {\"CPU\": 64.0} cannot be scheduled right now", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("the most one node has is {\"CPU\": 2.0}", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("Start a node with those resources", cpu.Message, StringComparison.Ordinal);
        Assert.Contains("lower the tasks' request", cpu.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', cpu.Message);
        var custom = Assert.Single(warnings, w => w.Message.Contains("{\"accel\": 1.0}", StringComparison.Ordinal));
        Assert.Contains("the most one node has is {\"accel\": 0.0}", custom.Message, StringComparison.Ordinal);

        // The tasks still wait: the warning changes nothing about them.
        Assert.Empty((await ray.WaitAsync(waiting, numReturns: 1, TimeSpan.Zero)).Ready);

        // An actor of an infeasible shape: one warning for two of them, naming its class.
        var huge = new ActorOptions { NumCpus = 64 };
        _ = ray.Actor(() => new Counter(0)).Options(huge).Remote();
        _ = ray.Actor(() => new Counter(1)).Options(huge).Remote();
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 3, Deadline, "a warning for the infeasible actors");
        await RefreshesAsync(runtime, 2);
        var actor = Assert.Single(log.Warnings(CannotBeScheduled), w => w.Message.StartsWith("Actor ", StringComparison.Ordinal));
        Assert.Contains("Counter", actor.Message, StringComparison.Ordinal);
        Assert.Contains("asks for {\"CPU\": 64.0} and cannot be scheduled right now", actor.Message, StringComparison.Ordinal);
        Assert.Contains("lower the actor's request", actor.Message, StringComparison.Ordinal);
        Assert.Equal(3, log.Warnings(CannotBeScheduled).Count);
    }

    [Fact]
    public async Task A_connected_driver_warns_again_only_after_the_shape_became_feasible_and_then_infeasible_again()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var log = new RecordingLoggerProvider();
        await using var driver = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, LogTo = log });
        var runtime = IRayRuntimeAccess.Of(driver);
        var accel = new TaskOptions { NumCpus = 0, Resources = { ["accel"] = 1 } };
        string AccelWarning(RecordingLoggerProvider.Entry w) => w.Message.Contains("{\"accel\": 1.0}", StringComparison.Ordinal) ? w.Message : string.Empty;

        // Two tasks no node can run: one warning. A task the node can run: none.
        var first = driver.Task(TestFunctions.Square, 3).Options(accel).Remote();
        var second = driver.Task(TestFunctions.Square, 4).Options(accel).Remote();
        Assert.Equal(4, await driver.GetAsync(driver.Task(TestFunctions.Square, 2).Remote(), Deadline));
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 1, Deadline, "a warning for the accel tasks");
        await RefreshesAsync(runtime, 2);
        Assert.Single(log.Warnings(CannotBeScheduled), w => AccelWarning(w).StartsWith("Tasks that ask for", StringComparison.Ordinal));

        // An actor of that shape is warned about on its own (once).
        var actorOptions = new ActorOptions { NumCpus = 0, Resources = { ["accel"] = 1 } };
        _ = driver.Actor(() => new Counter(0)).Options(actorOptions).Remote();
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count == 2, Deadline, "a warning for the accel actor");
        Assert.Single(log.Warnings(CannotBeScheduled), w => AccelWarning(w).StartsWith("Actor ", StringComparison.Ordinal));

        // A node with accel joins: the tasks run there (beside the actor, which moves there and holds one accel for
        // life, as in Ray). It leaves: a new task of the shape is infeasible again, and is warned about once more.
        var node = await cluster.AddNodeAsync(1, new Dictionary<string, double> { ["accel"] = 2 });
        Assert.Equal(new[] { 9, 16 }, await driver.GetAsync(new[] { first, second }, Deadline));
        await cluster.StopNodeAsync(node);
        await Eventually.TrueAsync(() => runtime.Cluster.Nodes.All(n => n.Total["accel"] == 0), Deadline, "the driver's view lost the accel node");
        var third = driver.Task(TestFunctions.Square, 5).Options(accel).Remote();
        await Eventually.TrueAsync(() => log.Warnings(CannotBeScheduled).Count(w => AccelWarning(w).StartsWith("Tasks", StringComparison.Ordinal)) == 2, Deadline,
            "a second warning for the accel tasks");
        await RefreshesAsync(runtime, 2);
        Assert.Equal(2, log.Warnings(CannotBeScheduled).Count(w => AccelWarning(w).StartsWith("Tasks", StringComparison.Ordinal)));
        Assert.Empty((await driver.WaitAsync(new[] { third }, numReturns: 1, TimeSpan.Zero)).Ready);
    }

    /// <summary>Waits until the runtime's view of the cluster was refreshed <paramref name="count"/> more times (each
    /// refresh judges the waiting tasks again).</summary>
    private static async Task RefreshesAsync(Node.NodeRuntime runtime, int count)
    {
        var seen = 0;
        void Count() => Interlocked.Increment(ref seen);
        runtime.Cluster.Refresh.Refreshed += Count;
        try
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref seen) >= count, Deadline, $"{count} refreshes of the view");
        }
        finally
        {
            runtime.Cluster.Refresh.Refreshed -= Count;
        }
    }
}
