using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Execution;

/// <summary>A connected driver's job id reaches its work on every node (<see cref="RayContext.JobId"/>): a node that
/// never ran the job learns the id from the job table, and two drivers' work on one node tells their jobs apart.</summary>
public sealed class RuntimeContextDistributedTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static string JobOfTask(int _) => $"{RayContext.JobId}|{RayContext.TaskId}";

    /// <summary>An actor whose constructor and methods report their job.</summary>
    public sealed class JobProbe
    {
        private readonly string? _constructed = RayContext.JobId;

        public string Jobs() => $"{_constructed}|{RayContext.JobId}";
    }

    private Task<IRay> ConnectAsync() => Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

    [Fact]
    public async Task Work_on_other_nodes_knows_its_connected_drivers_job()
    {
        await using var first = await ConnectAsync();
        var firstJob = RayContext.JobId ?? string.Empty;
        await using var second = await ConnectAsync();
        var secondJob = RayContext.JobId ?? string.Empty; // the driver initialized last is the current one
        Assert.NotEqual(string.Empty, firstJob);
        Assert.Equal(second.NodeId, RayContext.NodeId); // a connected driver's own id
        Assert.StartsWith("driver:", RayContext.NodeId.Value, StringComparison.Ordinal);
        Assert.NotEqual(firstJob, secondJob);
        var listed = (await second.State.ListJobsAsync().WaitAsync(Deadline)).Rows.Select(r => r.JobId).ToHashSet();
        Assert.Contains(firstJob, listed);
        Assert.Contains(secondJob, listed);

        foreach (var node in _cluster.Nodes)
        {
            var on = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };
            var fromFirst = (await first.GetAsync(first.Task(JobOfTask, 1).Options(on).Remote()).AsTask().WaitAsync(Deadline)).Split('|');
            var fromSecond = (await second.GetAsync(second.Task(JobOfTask, 2).Options(on).Remote()).AsTask().WaitAsync(Deadline)).Split('|');
            Assert.Equal(firstJob, fromFirst[0]);
            Assert.Equal(secondJob, fromSecond[0]);
            Assert.NotEqual(string.Empty, fromFirst[1]);

            var actorOn = new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };
            var probe = first.Actor(() => new JobProbe()).Options(actorOn).Remote();
            Assert.Equal($"{firstJob}|{firstJob}", await probe.Task(p => p.Jobs()).Remote().AsTask().WaitAsync(Deadline));
            await first.KillAsync(probe);
        }
    }
}
