using System.Collections.Concurrent;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>Ray's spillback of a connected driver's queued tasks: when no node had room, the driver's tasks queued at the
/// one node that could run them; when a node with room joins, that node hands them back to the driver (their owner),
/// which places them there. Each task runs exactly once, stays cancellable, and is retried if its new node dies.</summary>
public sealed class ForeignSpillbackTests : IAsyncLifetime
{
    private static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<string, ManualResetEventSlim> Gates = new();
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Starts = new();
    private static readonly ConcurrentDictionary<string, bool> SawCancel = new();

    private readonly string _key = Guid.NewGuid().ToString("N");
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((1, null));
    }

    public async Task DisposeAsync()
    {
        foreach (var (name, gate) in Gates)
        {
            if (name.StartsWith(_key, StringComparison.Ordinal))
            {
                gate.Set(); // nothing stays blocked on a worker thread after the test
            }
        }

        await _cluster.DisposeAsync();
    }

    /// <summary>Records where it started, then holds its CPU until the test opens its gate (or it is cancelled).</summary>
    public static string Hold(string key, int index)
    {
        var name = $"{key}/{index}";
        Starts.GetOrAdd(name, _ => new ConcurrentQueue<string>()).Enqueue(RayContext.NodeId.Value);
        var gate = Gates.GetOrAdd(name, _ => new ManualResetEventSlim());
        var token = RayContext.CancellationToken;
        WaitHandle.WaitAny([gate.WaitHandle, token.WaitHandle], HoldLimit);
        if (token.IsCancellationRequested)
        {
            SawCancel[name] = true;
            token.ThrowIfCancellationRequested();
        }

        return RayContext.NodeId.Value;
    }

    private string[] StartsOf(int index) => Starts.TryGetValue($"{_key}/{index}", out var starts) ? starts.ToArray() : [];

    private void Open(int index) => Gates.GetOrAdd($"{_key}/{index}", _ => new ManualResetEventSlim()).Set();

    private Task<IRay> ConnectAsync() => Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

    /// <summary>Submits <paramref name="count"/> one-CPU holding tasks and waits until the first runs on the only node
    /// (the rest queue there: no node has room).</summary>
    private async Task<List<ObjectRef<string>>> SubmitWhileFullAsync(IRay ray, int count)
    {
        var refs = Enumerable.Range(0, count).Select(i => ray.Task(Hold, _key, i).Remote()).ToList();
        await Eventually.TrueAsync(() => StartsOf(0).Length == 1, TimeSpan.FromSeconds(20), "the first task started on the only node");
        return refs;
    }

    [Fact]
    public async Task Queued_tasks_of_a_connected_driver_spill_to_a_node_that_joins_and_run_once()
    {
        await using var ray = await ConnectAsync();
        var head = _cluster.Nodes[0].NodeId.Value;
        var refs = await SubmitWhileFullAsync(ray, 5);
        Assert.Equal([head], StartsOf(0));
        Assert.All(Enumerable.Range(1, 4), i => Assert.Empty(StartsOf(i))); // queued at the head behind task 0

        var joined = (await _cluster.AddNodeAsync(2)).NodeId.Value;

        // While task 0 still holds the head, two of the queued tasks start on the node that joined (its 2 CPUs).
        await Eventually.TrueAsync(() => Enumerable.Range(1, 4).Count(i => StartsOf(i).Contains(joined)) == 2,
            TimeSpan.FromSeconds(30), "two queued tasks moved to the joined node and started there");
        Assert.Equal([head], StartsOf(0));

        for (var i = 0; i < 5; i++)
        {
            Open(i);
        }

        var where = await ray.GetAsync(refs, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 5; i++)
        {
            var starts = StartsOf(i);
            Assert.True(starts.Length == 1, $"task {i} started {starts.Length} time(s): {string.Join(", ", starts)}");
            Assert.Equal(starts[0], where[i]);
        }

        Assert.True(where.Count(w => w == joined) >= 2, string.Join(", ", where));
    }

    [Fact]
    public async Task A_spilled_task_is_cancelled_on_the_node_it_moved_to()
    {
        await using var ray = await ConnectAsync();
        var head = _cluster.Nodes[0].NodeId.Value;
        var refs = await SubmitWhileFullAsync(ray, 2);

        var joined = (await _cluster.AddNodeAsync(1)).NodeId.Value;
        await Eventually.TrueAsync(() => StartsOf(1).Contains(joined), TimeSpan.FromSeconds(30), "the queued task moved to the joined node");

        await ray.CancelAsync(refs[1]);
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await refs[1]);
        // The cancel reached the task where it runs now: the owner's record moved with it.
        await Eventually.TrueAsync(() => SawCancel.ContainsKey($"{_key}/1"), TimeSpan.FromSeconds(20), "the spilled task saw its cancellation");

        Open(0);
        Assert.Equal(head, await ray.GetAsync(refs[0], TimeSpan.FromSeconds(60)));
        Assert.Equal([joined], StartsOf(1));
    }

    [Fact]
    public async Task A_spilled_task_runs_again_when_the_node_it_moved_to_dies()
    {
        await using var ray = await ConnectAsync();
        var head = _cluster.Nodes[0].NodeId.Value;
        var refs = await SubmitWhileFullAsync(ray, 2);

        var joinedNode = await _cluster.AddNodeAsync(1);
        var joined = joinedNode.NodeId.Value;
        await Eventually.TrueAsync(() => StartsOf(1).Contains(joined), TimeSpan.FromSeconds(30), "the queued task moved to the joined node");

        await _cluster.StopNodeAsync(joinedNode);
        Open(0);
        await Eventually.TrueAsync(() => StartsOf(1).Length == 2, TimeSpan.FromSeconds(60), "the task started again after its node died");
        Open(1);

        var where = await ray.GetAsync(refs, TimeSpan.FromSeconds(60));
        Assert.Equal([head, head], where);
        Assert.Equal([joined, head], StartsOf(1)); // ran again on the head after its node died
    }
}
