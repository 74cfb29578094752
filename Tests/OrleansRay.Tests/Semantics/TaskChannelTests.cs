using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Placement;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Transport;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>A node's task channel (ADR 0025): owners send tasks straight to the node over TCP (TLS with the cluster's
/// key), as Ray's owner pushes a task to its worker, instead of through Orleans messaging. Tasks from a connected driver
/// and from another node go there once connected; a peer without the cluster's key, or one that does not speak the
/// protocol, is cut off while the node goes on; a request the node cannot read is refused (and its owner then sends it
/// through Orleans); a send in flight when the channel closes fails as a send to a node that went away.</summary>
public sealed class TaskChannelTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static int Twice(int x) => 2 * x;

    private static TaskOptions On(InProcessCluster.Node node) => new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) };

    [Fact]
    public async Task A_connected_drivers_tasks_go_over_the_nodes_task_channel_once_it_is_connected()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var node = _cluster.Nodes[1];
        var channel = node.Runtime.TaskChannel ?? throw new InvalidOperationException("the node has no task channel");

        // The first sends go through Orleans while the driver connects in the background; the later ones on the channel.
        var before = channel.RequestsServed;
        var i = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                i++;
                Assert.Equal(2 * i, await ray.GetAsync(ray.Task(Twice, i).Options(On(node)).Remote(), Deadline));
                return channel.RequestsServed > before;
            },
            Deadline,
            "a task reached the node over its task channel");

        // From then on every send takes the channel.
        var connected = channel.RequestsServed;
        for (var k = 1; k <= 50; k++)
        {
            Assert.Equal(2 * k, await ray.GetAsync(ray.Task(Twice, k).Options(On(node)).Remote(), Deadline));
        }

        Assert.Equal(connected + 50, channel.RequestsServed);
        Assert.Equal(0, channel.Refused);
    }

    [Fact]
    public async Task A_lone_short_task_runs_on_the_channels_reader_and_the_next_frames_are_still_read()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var node = _cluster.Nodes[1];
        var channel = node.Runtime.TaskChannel!;
        var i = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                i++;
                Assert.Equal(2 * i, await ray.GetAsync(ray.Task(Twice, i).Options(On(node)).Remote(), Deadline));
                return channel.RanOnReader > 0;
            },
            Deadline,
            "a lone short task ran on the channel's reader instead of waking a worker thread");

        // Each such run hands reading to a new loop first: sequential sends keep flowing, and so do concurrent ones.
        var ran = channel.RanOnReader;
        for (var k = 1; k <= 50; k++)
        {
            Assert.Equal(2 * k, await ray.GetAsync(ray.Task(Twice, k).Options(On(node)).Remote(), Deadline));
        }

        var many = Enumerable.Range(0, 200).Select(k => ray.Task(Twice, k).Options(On(node)).Remote()).ToArray();
        Assert.Equal(Enumerable.Range(0, 200).Select(k => 2 * k), await ray.GetAsync(many, Deadline));
        Assert.True(channel.RanOnReader > ran, "none of 50 sequential lone short tasks ran on the reader");
        Assert.Equal(0, channel.Refused);
    }

    [Fact]
    public async Task A_connected_drivers_lone_actor_calls_go_over_the_channel_to_the_actors_mailbox_in_order()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var node = _cluster.Nodes[1];
        var channel = node.Runtime.TaskChannel!;
        var counter = ray.Actor(() => new Actors.Counter(0))
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) })
            .Remote();

        // The first calls go through the host grain (its answer names the node) while the driver connects.
        var before = channel.RequestsServed;
        var expected = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                Assert.Equal(++expected, await ray.GetAsync(counter.Task(c => c.Increment()).Remote(), Deadline));
                return channel.RequestsServed > before;
            },
            Deadline,
            "a lone actor call reached the node over its task channel");

        // Each later lone call takes the channel, and the actor sees them in order.
        var connected = channel.RequestsServed;
        for (var k = 1; k <= 50; k++)
        {
            Assert.Equal(++expected, await ray.GetAsync(counter.Task(c => c.Increment()).Remote(), Deadline));
        }

        Assert.Equal(connected + 50, channel.RequestsServed);

        // Calls sent together (batches) go through the host grain and keep their order with the lone ones.
        var burst = Enumerable.Range(0, 100).Select(_ => counter.Task(c => c.Increment()).Remote()).ToList();
        Assert.Equal(Enumerable.Range(expected + 1, 100), await ray.GetAsync(burst));
        Assert.Equal(expected + 101, await ray.GetAsync(counter.Task(c => c.Increment()).Remote(), Deadline));
        Assert.Equal(0, channel.Refused);
    }

    /// <summary>An actor for the reader tests: adds, or blocks its thread until a gate opens.</summary>
    public sealed class Tally
    {
        private int _count;

        public int Add(int x) => _count += x;

        public int AddWhenOpen(string gate, int x)
        {
            Functions.Gates.Get(gate + ".blocked").Set();
            Functions.Gates.Get(gate).Wait(Deadline);
            return _count += x;
        }
    }

    /// <summary>Twice, after an await: never short, so never run on a channel's reader.</summary>
    public static async Task<int> TwiceLater(int x)
    {
        await Task.Yield();
        return 2 * x;
    }

    [Fact]
    public async Task A_lone_short_actor_call_runs_on_the_channels_reader_and_one_that_blocks_there_holds_up_only_itself()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var node = _cluster.Nodes[1];
        var channel = node.Runtime.TaskChannel!;
        var tally = ray.Actor(static () => new Tally())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.NodeId) })
            .Remote();
        var expected = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                var ran = channel.RanOnReader;
                Assert.Equal(++expected, await ray.GetAsync(tally.Task(a => a.Add(1)).Remote(), Deadline));
                return channel.RanOnReader > ran;
            },
            Deadline,
            "a lone short actor call ran on the channel's reader instead of waking a worker thread");

        // A call that was short last time and blocks now: while it blocks (on the reader, when the reader claimed it),
        // the connection's next frames are read, so the driver's task to the same node runs. Repeated until the blocking
        // call is seen to have run on the reader (the reader may come later than a worker thread, under load).
        var attempt = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                Assert.Equal(++expected, await ray.GetAsync(tally.Task(a => a.Add(1)).Remote(), Deadline)); // short again
                var gate = $"channel-reader-actor/{Guid.NewGuid():N}/{++attempt}";
                var ran = channel.RanOnReader;
                var blocked = tally.Task(static (a, g) => a.AddWhenOpen(g, 1), gate).Remote();
                Assert.True(Functions.Gates.Get(gate + ".blocked").Wait(Deadline), "the blocking call did not start");
                Assert.Equal(2 * attempt, await ray.GetAsync(ray.Task(TwiceLater, attempt).Options(On(node)).Remote(), Deadline));
                Functions.Gates.Get(gate).Set();
                Assert.Equal(++expected, await ray.GetAsync(blocked, Deadline));
                return channel.RanOnReader > ran; // the awaiting task never runs there: only the blocking call counts
            },
            Deadline,
            "a blocking actor call ran on the channel's reader");

        // The actor goes on in order, its lone calls and a batch of calls sent together.
        var burst = Enumerable.Range(0, 100).Select(_ => tally.Task(a => a.Add(1)).Remote()).ToList();
        Assert.Equal(Enumerable.Range(expected + 1, 100), await ray.GetAsync(burst));
        Assert.Equal(expected + 101, await ray.GetAsync(tally.Task(a => a.Add(1)).Remote(), Deadline));
        Assert.Equal(0, channel.Refused);
    }

    [Fact]
    public async Task Tasks_one_node_sends_another_go_over_its_task_channel()
    {
        var from = _cluster.Nodes[0].Runtime;
        var to = _cluster.Nodes[1];
        var channel = to.Runtime.TaskChannel!;
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

        // A task running on node 0 submits to node 1: node 0 owns that task and sends it (once node 0's view has node 1).
        await Eventually.TrueAsync(() => from.Cluster.Nodes.Any(n => n.Id == to.NodeId && n.IsAlive), Deadline, "node 0 sees node 1");
        var before = channel.RequestsServed;
        await Eventually.TrueAsync(
            async () =>
            {
                var outer = ray.Task(SubmitTo, to.NodeId.Value!, 21).Options(On(_cluster.Nodes[0])).Remote();
                Assert.Equal(42, await ray.GetAsync(outer, Deadline));
                return channel.RequestsServed > before;
            },
            Deadline,
            "node 0's task reached node 1 over its task channel");
        Assert.NotNull(from.TaskChannel);
    }

    /// <summary>Runs <see cref="Twice"/> on node <paramref name="node"/> and returns its result (an owner on a node).</summary>
    public static int SubmitTo(string node, int x)
    {
        var ray = Ray.Current;
        var options = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(node)) };
        return ray.GetAsync(ray.Task(Twice, x).Options(options).Remote()).AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task A_peer_without_the_clusters_key_is_refused_and_the_node_serves_the_others()
    {
        var node = _cluster.Nodes[1].Runtime;
        var server = node.TaskChannel!;
        var remote = IPEndPoint.Parse(node.Node.TaskChannel!);
        using var stranger = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        using var intruder = new TaskChannelClient(remote, node.Copier.Serializer, stranger, NullLogger.Instance);
        using var plain = new TaskChannelClient(remote, node.Copier.Serializer, credentials: null, NullLogger.Instance);

        var refusedBefore = server.Refused;
        Assert.Null(intruder.TrySend(node.Endpoint!, [NewTask()]));
        Assert.Null(plain.TrySend(node.Endpoint!, [NewTask()]));
        await Eventually.TrueAsync(() => server.Refused >= refusedBefore + 2, Deadline, "the node refused both peers");

        // The plain peer's TCP connect succeeds before the node drops it: it sees the close when its read loop does.
        await Eventually.TrueAsync(() => !intruder.IsConnected && !plain.IsConnected, Deadline, "both refused peers saw their connection closed");

        // The node still takes tasks from a driver of its cluster, on the channel.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var before = server.RequestsServed;
        await Eventually.TrueAsync(
            async () =>
            {
                Assert.Equal(8, await ray.GetAsync(ray.Task(Twice, 4).Options(On(_cluster.Nodes[1])).Remote(), Deadline));
                return server.RequestsServed > before;
            },
            Deadline,
            "a task of the cluster's driver reached the node on its channel");
    }

    [Fact]
    public async Task A_peer_that_does_not_speak_the_protocol_is_cut_off_and_an_unreadable_request_is_refused()
    {
        var node = _cluster.Nodes[0].Runtime;
        var ran = 0;
        using var server = new TaskChannelServer(new IPEndPoint(IPAddress.Loopback, 0), node.Copier.Serializer, credentials: null, (_, tasks) =>
        {
            Interlocked.Add(ref ran, tasks.Length);
            return Task.FromResult<RemoteResult[]?>([new RemoteResult { ObjectId = tasks[0].ReturnId, TaskId = tasks[0].Id, Value = 7 }]);
        }, node.GrainFactory, NullLogger.Instance);

        // A header that is not this protocol's: the connection is closed, nothing runs.
        using (var junk = await ConnectRawAsync(server.EndPoint))
        {
            await junk.SendAsync(Header(kind: 99, callId: 1, length: 0));
            Assert.Equal(0, await ReceiveOrClosedAsync(junk, new byte[16]));
        }

        // A request whose body does not deserialize: answered Failed (kind 3) with the reason; the connection stays.
        using (var bad = await ConnectRawAsync(server.EndPoint))
        {
            var body = new byte[] { 0xFF, 0xFE, 0xFD, 0xFC };
            await bad.SendAsync(Header(kind: 1, callId: 5, length: body.Length).Concat(body).ToArray());
            var header = new byte[16];
            Assert.Equal(16, await ReceiveExactlyAsync(bad, header));
            Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4)));
            Assert.Equal(5, BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)));
            var reason = new byte[BinaryPrimitives.ReadInt32LittleEndian(header)];
            Assert.Equal(reason.Length, await ReceiveExactlyAsync(bad, reason));
            Assert.Contains("did not deserialize", System.Text.Encoding.UTF8.GetString(reason), StringComparison.Ordinal);
        }

        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.Equal(2, server.Refused);

        // A proper client is served, and its reply carries the result.
        using var client = new TaskChannelClient(server.EndPoint, node.Copier.Serializer, credentials: null, NullLogger.Instance);
        var task = NewTask();
        var results = await await StartWhenConnectedAsync(client, node, task);
        Assert.Equal(7, Assert.Single(results!).Value);
        Assert.Equal(task.ReturnId, results![0].ObjectId);
        Assert.Equal(1, Volatile.Read(ref ran));
    }

    [Fact]
    public async Task A_send_in_flight_when_the_channel_closes_fails_as_a_send_to_a_node_that_went_away()
    {
        var node = _cluster.Nodes[0].Runtime;
        var never = new TaskCompletionSource<RemoteResult[]?>();
        var server = new TaskChannelServer(new IPEndPoint(IPAddress.Loopback, 0), node.Copier.Serializer, credentials: null, (_, _) => never.Task, node.GrainFactory, NullLogger.Instance);
        using var client = new TaskChannelClient(server.EndPoint, node.Copier.Serializer, credentials: null, NullLogger.Instance);
        Task<RemoteResult[]?> inFlight;
        try
        {
            inFlight = await StartWhenConnectedAsync(client, node, NewTask());
            await Eventually.TrueAsync(() => server.RequestsServed == 1, Deadline, "the node took the request");
        }
        finally
        {
            server.Dispose();
        }

        var failure = await Assert.ThrowsAsync<TaskChannelClosedException>(() => inFlight).WaitAsync(Deadline);
        Assert.True(SendFailures.IsTransient(failure), "a closed channel counts as a node that went away");
        Assert.False(SendFailures.NeverReachedNode(failure), "the node may have taken the tasks");
        await Eventually.TrueAsync(() => !client.IsConnected, Deadline, "the client saw the channel close");
        Assert.Null(client.TrySend(node.Endpoint!, [NewTask()]));
    }

    /// <summary>A send cancelled as its channel to a stopping node shut counts as the node going away: its tasks are
    /// placed again, not failed as if their function threw (a reviewer's `orleansray stop` made one fail with
    /// RayTaskException wrapping OperationCanceledException); an unserializable argument still is the task's fault.</summary>
    [Fact]
    public void A_cancelled_send_is_a_node_going_away_and_a_bad_argument_is_not()
    {
        Assert.True(SendFailures.IsTransient(new OperationCanceledException("The operation was canceled.")));
        Assert.True(SendFailures.IsTransient(new TaskCanceledException()));
        Assert.True(SendFailures.IsTransient(new AggregateException(new OperationCanceledException())));
        Assert.False(SendFailures.IsTransient(new Orleans.Serialization.CodecNotFoundException("no codec")));
        Assert.False(SendFailures.IsTransient(new InvalidOperationException("bad argument")));
    }

    private static RemoteTask NewTask() => new() { Id = TaskId.NewId(), ReturnId = ObjectId.NewId(), Name = "channel test" };

    /// <summary>Sends <paramref name="task"/> as soon as the client (connecting in the background) takes it; returns the
    /// send's reply, still to come.</summary>
    private static async Task<Task<RemoteResult[]?>> StartWhenConnectedAsync(TaskChannelClient client, Node.NodeRuntime node, RemoteTask task)
    {
        Task<RemoteResult[]?>? sent = null;
        await Eventually.TrueAsync(() => (sent = client.TrySend(node.Endpoint!, [task])) is not null, Deadline, "the client connected and sent");
        return sent!;
    }

    private static async Task<Socket> ConnectRawAsync(IPEndPoint remote)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(remote);
        return socket;
    }

    private static byte[] Header(int kind, long callId, int length)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(header, length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), kind);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), callId);
        return header;
    }

    /// <summary>Reads what comes, up to the buffer's length, within the deadline; 0 when the peer closed.</summary>
    private static async Task<int> ReceiveOrClosedAsync(Socket socket, byte[] buffer)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
    }

    private static async Task<int> ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }
}
