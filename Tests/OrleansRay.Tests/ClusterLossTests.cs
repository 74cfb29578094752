using Microsoft.Extensions.Logging;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>A connected driver whose cluster went away (every node stopped) gives it up: the node it connected through
/// refuses connections, so at once rather than after its reconnect timeout (5 min here). Its pending get, wait and actor
/// call, and every later use, fail with one <see cref="ClusterLostException"/> naming the address; it logs that once as
/// an error and no Orleans warning stacks meanwhile (reviewer's defect: the driver hung forever, warning once a second).
/// A cluster that is silent without refusing (paused) is given up after the timeout: DriverClusterLossTests.</summary>
public sealed class ClusterLossTests
{
    /// <summary>Far beyond <see cref="Deadline"/>: the driver must give up because the node is gone, not because of it.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>The stop of the nodes and a loaded machine's slack.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_driver_whose_cluster_stopped_fails_its_pending_and_later_calls_with_ClusterLostException()
    {
        var gate = "cluster-loss-" + Guid.NewGuid().ToString("N");
        var log = new RecordingLoggerProvider();
        var cluster = await InProcessCluster.StartAsync((2, null), (2, null));
        try
        {
            var address = cluster.Address;
            await using var ray = await Ray.InitAsync(new RayOptions { Address = address, AuthToken = cluster.AuthToken, LogTo = log, ReconnectTimeout = Timeout });
            Assert.Equal(9, await ray.GetAsync(ray.Task(Square, 3).Remote(), Deadline));

            // Work that never ends while the cluster is there, on the head (the node the driver connected through, which
            // holds the cluster's tables): a task, an actor call, and a wait on them.
            var head = SchedulingStrategy.NodeAffinity(cluster.Nodes[0].NodeId);
            var task = ray.Task(IgnoreCancellation, gate).Options(new TaskOptions { MaxRetries = 0, SchedulingStrategy = head }).Remote();
            var sleeper = ray.Actor(() => new Sleeper()).Options(new ActorOptions { SchedulingStrategy = head }).Remote();
            var call = sleeper.Task((s, g) => s.BlockUntil(g), gate).Remote();
            await Eventually.TrueAsync(() => Functions.Gates.Get(gate + ".started").IsSet && Functions.Gates.Get(gate + ".blocked").IsSet, Deadline, "the task and the actor call run");
            var get = ray.GetAsync(task).AsTask();
            var actorGet = ray.GetAsync(call).AsTask();
            var wait = ray.WaitAsync(new[] { task, call }, numReturns: 1);

            // The head stops first, then the other node (the fixture stops the last node first, whose death the driver
            // would learn from the head): nothing answers the driver any more.
            await cluster.StopNodeAsync(cluster.Nodes[0]);
            await cluster.DisposeAsync();

            var lost = await Assert.ThrowsAsync<ClusterLostException>(() => get.WaitAsync(Deadline));
            Assert.StartsWith($"The OrleansRay node at {address}, through which this driver connected, is gone (its port refuses connections", lost.Message, StringComparison.Ordinal);
            Assert.Contains("connect a new driver (Ray.InitAsync) through one of them", lost.Message, StringComparison.Ordinal);
            Assert.Contains("else start the cluster again", lost.Message, StringComparison.Ordinal);
            Assert.Equal(lost.Message, (await Assert.ThrowsAsync<ClusterLostException>(() => actorGet.WaitAsync(Deadline))).Message);
            Assert.Equal(lost.Message, (await Assert.ThrowsAsync<ClusterLostException>(() => wait.WaitAsync(Deadline))).Message);

            // Every later use: a new task, a put, a read of a ref (even one that had its value), a wait, an actor call.
            Assert.Equal(lost.Message, Assert.Throws<ClusterLostException>(() => ray.Task(Square, 4).Remote()).Message);
            await Assert.ThrowsAsync<ClusterLostException>(async () => await ray.PutAsync(1));
            await Assert.ThrowsAsync<ClusterLostException>(async () => await task);
            await Assert.ThrowsAsync<ClusterLostException>(() => ray.WaitAsync(new[] { task }));
            Assert.Throws<ClusterLostException>(() => sleeper.Task((s, g) => s.BlockUntil(g), gate).Remote());

            var errors = log.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
            Assert.True(errors.Count == 1 && errors[0].Message == lost.Message, "errors: " + string.Join(" | ", errors.Select(e => $"{e.Category}: {e.Message}")));
            var orleans = log.Entries.Where(e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Orleans.", StringComparison.Ordinal)).ToList();
            Assert.True(orleans.Count == 0, "Orleans warned: " + string.Join(" | ", orleans.Select(e => $"{e.Category} {e.Level}: {e.Message}")));
            Assert.True(log.Warnings("Could not refresh the view of the cluster").Count <= 1, "the refresh's failure is told at most once");

            // Disposing a driver that gave its cluster up says no goodbyes to it: quick.
            await ray.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Functions.Gates.Get(gate).Set();
            await cluster.DisposeAsync();
        }
    }
}
