using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Placement;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>How a node's endpoint (an Orleans observer, which runs its calls one at a time) answers: a lone task's result
/// rides in the reply to its send (Ray's PushTask reply) or, when the task is slow, on its own; a cancel that overtakes
/// its task still cancels it; a borrower's long wait for a pending object does not hold up the result that completes it;
/// a lone task that blocks does not hold up its owner's next sends to the node, however short its function ran before.</summary>
public sealed class NodeEndpointReplyTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly ConcurrentDictionary<string, ManualResetEventSlim> Gates = new();
    private static readonly ConcurrentDictionary<string, bool> Started = new();

    private readonly string _key = Guid.NewGuid().ToString("N");
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
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

    public static int Twice(int x) => 2 * x;

    /// <summary>Marks <paramref name="name"/> started, then waits for its gate (or its cancellation; at most a minute).</summary>
    public static int Gated(string name, int value)
    {
        Started[name] = true;
        var gate = Gates.GetOrAdd(name, _ => new ManualResetEventSlim());
        var token = RayContext.CancellationToken;
        WaitHandle.WaitAny([gate.WaitHandle, token.WaitHandle], TimeSpan.FromMinutes(1));
        token.ThrowIfCancellationRequested();
        return value;
    }

    /// <summary>Marks <paramref name="name"/> started, then reads the refs nested in its argument (a borrower's read).</summary>
    public static int SumBorrowed(string name, List<ObjectRef<int>> refs)
    {
        Started[name] = true;
        var ray = Ray.Current;
        return refs.Sum(r => ray.GetAsync(r).AsTask().GetAwaiter().GetResult());
    }

    /// <summary>Returns at once for a name ending in "/quick"; otherwise <see cref="Gated"/>.</summary>
    public static int QuickOrGated(string name) => name.EndsWith("/quick", StringComparison.Ordinal) ? 0 : Gated(name, 1);

    private void Open(string name) => Gates.GetOrAdd(name, _ => new ManualResetEventSlim()).Set();

    private Task<IRay> ConnectAsync() => Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

    private static TaskOptions On(InProcessCluster.Node node) => new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };

    [Fact]
    public async Task A_lone_short_task_comes_back_in_the_reply_to_its_send()
    {
        await using var ray = await ConnectAsync();
        var node = _cluster.Nodes[1];
        await ExpectCarriedAsync(node, "quick tasks", async i => Assert.Equal(2 * i, await ray.GetAsync(ray.Task(Twice, i).Options(On(node)).Remote(), Deadline)));
    }

    /// <summary>Makes 200 sequential lone sends to <paramref name="node"/> (each with nothing else in flight, so a quick
    /// one finishes within its reply's wait): some result must ride in a reply, and no reply stays held.</summary>
    private static async Task ExpectCarriedAsync(InProcessCluster.Node node, string what, Func<int, Task> send)
    {
        var before = node.Runtime.Replies.CarriedInReplies;
        for (var i = 1; i <= 200; i++)
        {
            await send(i);
        }

        Assert.True(node.Runtime.Replies.CarriedInReplies > before, $"no result of 200 sequential {what} rode in a reply");
        Assert.Equal(0, node.Runtime.Replies.HeldReplies);
    }

    [Fact]
    public async Task A_lone_task_that_outlasts_the_reply_sends_its_result_on_its_own()
    {
        await using var ray = await ConnectAsync();
        var node = _cluster.Nodes[1];
        var name = $"{_key}/slow";
        var result = ray.Task(Gated, name, 42).Options(On(node)).Remote();
        await Eventually.TrueAsync(
            () => Started.ContainsKey(name) && node.Runtime.Replies.HeldReplies == 0,
            Deadline,
            "the gated task started and its send's reply went back without its result");
        var carried = node.Runtime.Replies.CarriedInReplies;

        Open(name);
        Assert.Equal(42, await ray.GetAsync(result, Deadline));
        Assert.Equal(carried, node.Runtime.Replies.CarriedInReplies);
    }

    [Fact]
    public async Task A_lone_task_that_was_short_last_time_and_blocks_now_does_not_hold_up_its_owners_next_tasks()
    {
        await using var ray = await ConnectAsync();
        var node = _cluster.Nodes[1];

        // The function's runs on this node are short, so anything that trusts "short last time" would trust it now.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(0, await ray.GetAsync(ray.Task(QuickOrGated, $"{_key}/quick").Options(On(node)).Remote(), Deadline));
        }

        // This run blocks (one of the node's two CPUs). The owner's next task to the node must still get there and run:
        // the send of the blocked task must not wait for its run (the owner sends to a node one message at a time).
        var name = $"{_key}/blocks";
        var blocked = ray.Task(QuickOrGated, name).Options(On(node)).Remote();
        await Eventually.TrueAsync(() => Started.ContainsKey(name), Deadline, "the blocking run started");
        Assert.Equal(6, await ray.GetAsync(ray.Task(Twice, 3).Options(On(node)).Remote(), Deadline));

        Open(name);
        Assert.Equal(1, await ray.GetAsync(blocked, Deadline));
    }

    /// <summary>An actor for the lone-call tests: counts, or waits for a gate.</summary>
    public sealed class Tally
    {
        private int _count;

        public int Add(int x) => _count += x;

        public int AddWhenOpen(string name, int x) => Gated(name, _count += x);
    }

    [Fact]
    public async Task A_lone_short_actor_call_comes_back_in_the_answer_to_its_send()
    {
        await using var ray = await ConnectAsync();
        var node = _cluster.Nodes[1];
        var tally = ray.Actor(static () => new Tally()).Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) }).Remote();
        await ExpectCarriedAsync(node, "quick actor calls", async i => Assert.Equal(i, await ray.GetAsync(tally.Task(a => a.Add(1)).Remote(), Deadline)));
    }

    [Fact]
    public async Task A_lone_actor_call_that_outlasts_the_answer_sends_its_result_on_its_own()
    {
        await using var ray = await ConnectAsync();
        var node = _cluster.Nodes[1];
        var name = $"{_key}/slow-call";
        var tally = ray.Actor(static () => new Tally()).Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) }).Remote();
        Assert.Equal(1, await ray.GetAsync(tally.Task(a => a.Add(1)).Remote(), Deadline));

        var slow = tally.Task(static (a, n) => a.AddWhenOpen(n, 10), name).Remote();
        await Eventually.TrueAsync(
            () => Started.ContainsKey(name) && node.Runtime.Replies.HeldReplies == 0,
            Deadline,
            "the gated call started and its send's answer went back without its result");
        var carried = node.Runtime.Replies.CarriedInReplies;

        Open(name);
        Assert.Equal(11, await ray.GetAsync(slow, Deadline));
        Assert.True(node.Runtime.Replies.CarriedInReplies == carried, "the gated call's result rode in an answer although its answer had gone");
        Assert.Equal(111, await ray.GetAsync(tally.Task(a => a.Add(100)).Remote(), Deadline)); // the actor goes on, in order
    }

    [Fact]
    public async Task Lone_work_sent_again_after_its_reply_carried_the_result_gets_that_result_and_is_not_started_again()
    {
        var node = _cluster.Nodes[0];
        var replies = node.Runtime.Replies;
        var replyTo = node.Runtime.Node.Endpoint!;
        var id = ObjectId.NewId();
        var starts = 0;

        // Work that finishes as it starts: its result is sent at once, and the held reply takes it.
        void Start()
        {
            starts++;
            replies.Reply(replyTo, new RemoteResult { ObjectId = id, Value = 7 });
        }

        var first = await replies.CarryResultAsync(id, Start);

        // The sender never got that reply (a dropped connection, say) and sends the same work again.
        var again = await replies.CarryResultAsync(id, Start);
        Assert.Equal(7, first?.Value);
        Assert.Equal(7, again?.Value);
        Assert.Equal(1, starts);
    }

    [Fact]
    public async Task A_held_reply_whose_work_does_not_finish_in_time_goes_without_the_result_and_so_does_a_retry_waiting_on_it()
    {
        var node = _cluster.Nodes[0];
        var replies = node.Runtime.Replies;
        var replyTo = node.Runtime.Node.Endpoint!;
        var id = ObjectId.NewId();
        var carried = replies.CarriedInReplies;

        // Work that has not finished when its hold expires; its sender retries meanwhile, and the retry waits on that hold.
        // The retry comes while the work is being started (the hold is open and cannot expire yet: the expiry sweep sees a
        // hold only once its work is queued), so that a busy machine, which may pause this test for longer than a hold
        // lasts, cannot make the retry come after the expiry.
        Task<RemoteResult?>? retried = null;
        var heldWhileRetried = -1;
        var first = replies.CarryResultAsync(id, () =>
        {
            retried = replies.CarryResultAsync(id, static () => { });
            heldWhileRetried = replies.HeldReplies;
        });
        Assert.Equal(1, heldWhileRetried);
        Assert.Same(first, retried); // one hold, both replies wait on it
        Assert.Null(await first.WaitAsync(Deadline));
        Assert.Null(await retried!.WaitAsync(Deadline));
        Assert.Equal(0, replies.HeldReplies);

        // Its result, when it comes, travels on its own: no reply takes it.
        replies.Reply(replyTo, new RemoteResult { ObjectId = id, Value = 7 });
        Assert.Equal(carried, replies.CarriedInReplies);

        // Work whose start fails holds nothing: the failure reaches the caller, and a retry that came meanwhile (here, from
        // inside the start) goes without the result at once, not when the hold would have expired.
        var failing = ObjectId.NewId();
        Task<RemoteResult?>? retry = null;
        Assert.Throws<InvalidOperationException>(() =>
        {
            _ = replies.CarryResultAsync(failing, () =>
            {
                retry = replies.CarryResultAsync(failing, static () => { });
                throw new InvalidOperationException("the node is stopping");
            });
        });
        Assert.True(retry!.IsCompleted, "the retry still waits on a hold whose start failed");
        Assert.Null(await retry);
        Assert.Equal(0, replies.HeldReplies);
    }

    [Fact]
    public async Task A_cancel_that_overtakes_its_task_still_cancels_it()
    {
        var node = _cluster.Nodes[0];
        var name = $"{_key}/overtaken";
        var task = new RemoteTask
        {
            Id = TaskId.NewId(),
            Function = FunctionDescriptor.For(typeof(NodeEndpointReplyTests).GetMethod(nameof(Gated))!),
            Args = [TaskArg.FromValue(name), TaskArg.FromValue(1)],
            Resources = ResourceSet.From([new KeyValuePair<string, double>("CPU", 1)]),
            ReturnId = ObjectId.NewId(),
        };

        // The cancel arrives first (it was sent straight away while the task waited in its owner's send pump).
        node.Runtime.Foreign.Cancel(task.Id, force: true, recursive: true);
        Assert.Null(await node.Runtime.Foreign.RunAsync(node.Runtime.Node.Endpoint!, [task]));

        await Eventually.TrueAsync(
            () => node.Runtime.Foreign.RunningTasks.All(t => t.Id != task.Id),
            Deadline,
            "the task whose cancel came first is dropped (it would otherwise hold its CPU until its gate opens)");
    }

    [Fact]
    public async Task A_borrowers_wait_for_a_pending_object_does_not_hold_up_the_result_that_completes_it()
    {
        await using var ray = await ConnectAsync();
        var producer = $"{_key}/producer";
        var borrower = $"{_key}/borrower";
        var pending = ray.Task(Gated, producer, 5).Options(On(_cluster.Nodes[0])).Remote();
        var sum = ray.Task(SumBorrowed, borrower, new List<ObjectRef<int>> { pending }).Options(On(_cluster.Nodes[1])).Remote();
        var driver = ((Internal.IRayRuntimeAccess)ray).Runtime;
        await Eventually.TrueAsync(
            () => Started.ContainsKey(producer) && driver.Foreign.BorrowerWaits > 0,
            Deadline,
            "the producer runs and the borrower's read waits at the driver");

        // The borrower now waits at the driver (the owner) for the pending object; the producer's result reaches the
        // driver's endpoint on its own (it outlasted its send's reply) and must not queue behind that wait (15 s).
        Open(producer);
        Assert.Equal(5, await ray.GetAsync(sum, TimeSpan.FromSeconds(10)));
    }
}
