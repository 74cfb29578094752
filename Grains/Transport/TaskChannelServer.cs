using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Transport;

/// <summary>A node's task channel: a TCP endpoint where owners (drivers, other nodes) send tasks straight to the node,
/// as Ray's owner pushes a task to its worker over a direct connection, instead of through Orleans messaging and the
/// gateway. What arrives goes to the same method as <see cref="INodeEndpoint.RunTasksAsync"/>, and its reply carries
/// the same results (ADR 0025).</summary>
/// <remarks>With credentials a peer must complete TLS 1.3 with the cluster's key; one that does not is dropped and
/// logged, and the others go on. A frame that is not this protocol's closes that connection; a request whose body does
/// not deserialize is answered <see cref="TaskChannelFrames.FrameKind.Failed"/> (its owner then sends it through
/// Orleans). Nothing a peer sends stops the node.</remarks>
internal sealed partial class TaskChannelServer : IDisposable
{
    private readonly Serializer _serializer;
    private readonly ClusterCredentials? _credentials;
    private readonly Func<INodeEndpoint, RemoteTask[], Task<RemoteResult[]?>> _run;
    private readonly Func<ActorId, ActorCallBatch, Task<ActorCallsAccepted?>>? _runActorCall;
    private readonly IGrainFactory _grainFactory;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<TaskChannelStream> _connections = new();
    private long _served;
    private long _refused;
    private long _ranOnReader;

    /// <summary>Listens on <paramref name="endPoint"/>.</summary>
    /// <param name="endPoint">The node's address, as other processes reach it, and the port (0: a free one).</param>
    /// <param name="serializer">The node's Orleans serializer (it knows the endpoint references and task types).</param>
    /// <param name="credentials">The cluster's credentials; null: plain TCP (embedded, <c>--insecure</c>).</param>
    /// <param name="run">Takes a send's tasks, as <see cref="INodeEndpoint.RunTasksAsync"/> does.</param>
    /// <param name="grainFactory">Makes the reference to a request's reply endpoint from its grain id.</param>
    /// <param name="logger">Where refused peers and broken connections are logged.</param>
    /// <param name="runActorCall">Takes a lone actor call for an actor hosted here, as
    /// <see cref="IActorHostGrain.SubmitLoneAsync"/> does (null when it is not: the owner then uses the host grain);
    /// null: the node refuses actor calls on its channel.</param>
    /// <exception cref="SocketException">The address cannot be bound (not this machine's, or the port is taken).</exception>
    public TaskChannelServer(IPEndPoint endPoint, Serializer serializer, ClusterCredentials? credentials, Func<INodeEndpoint, RemoteTask[], Task<RemoteResult[]?>> run, IGrainFactory grainFactory, ILogger logger, Func<ActorId, ActorCallBatch, Task<ActorCallsAccepted?>>? runActorCall = null)
    {
        _grainFactory = grainFactory;
        _runActorCall = runActorCall;
        _serializer = serializer;
        _credentials = credentials;
        _run = run;
        _logger = logger;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endPoint);
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _ = AcceptLoopAsync();
    }

    /// <summary>Where owners connect: "address:port" in the node's row (<see cref="NodeStatus.TaskChannel"/>).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Requests taken and handed to the node since it started.</summary>
    public long RequestsServed => Interlocked.Read(ref _served);

    /// <summary>Lone tasks and lone actor calls a connection's reader ran itself since the node started
    /// (<see cref="ChannelRunHere"/>), rather than waking a worker thread.</summary>
    public long RanOnReader => Interlocked.Read(ref _ranOnReader);

    /// <summary>Connections refused (no TLS with the cluster's key, or not this protocol) and requests refused (a body
    /// that did not deserialize) since it started.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a peer that gave up before it was accepted
            }

            _ = ServeAsync(peer);
        }
    }

    private async Task ServeAsync(Socket peer)
    {
        var address = peer.RemoteEndPoint?.ToString() ?? "an unknown address";
        TaskChannelStream connection;
        try
        {
            connection = await TaskChannelStream.AcceptAsync(peer, _credentials, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            peer.Dispose();
            if (!_stopping.IsCancellationRequested)
            {
                Interlocked.Increment(ref _refused);
                LogRefused(_logger, address, ex.Message);
            }

            return;
        }

        lock (_connections)
        {
            if (_stopping.IsCancellationRequested)
            {
                connection.Dispose();
                return;
            }

            _connections.Add(connection);
        }

        await ReadFramesAsync(new Peer(connection, address)).ConfigureAwait(false);
    }

    /// <summary>What the server keeps of one connection: its stream, the peer's address (for the log), the header buffer of
    /// its reader, and the reply endpoint its requests name (an owner's requests on one connection all name the same
    /// one; a new reference to it would cost a proxy instance per request). Only the connection's current reader uses
    /// it.</summary>
    private sealed class Peer
    {
        private GrainId _replyToId;
        private INodeEndpoint? _replyTo;

        public Peer(TaskChannelStream connection, string address)
        {
            Connection = connection;
            Address = address;
        }

        public TaskChannelStream Connection { get; }

        public string Address { get; }

        public byte[] Header { get; } = new byte[TaskChannelFrames.HeaderSize];

        /// <summary>The reference to the endpoint <paramref name="id"/>, made once per connection (again if it changes).</summary>
        public INodeEndpoint ReplyTo(GrainId id, IGrainFactory grainFactory)
        {
            if (_replyTo is null || !_replyToId.Equals(id))
            {
                _replyTo = grainFactory.GetGrain<INodeEndpoint>(id);
                _replyToId = id;
            }

            return _replyTo;
        }
    }

    /// <summary>Reads and takes the connection's frames until it closes, or until a lone task or actor call taken from
    /// one is to run on this thread (<see cref="ChannelRunHere"/>): reading then goes on in a new loop first, so work that
    /// blocks this time holds up only itself, not the owner's next sends.</summary>
    private async Task ReadFramesAsync(Peer peer)
    {
        var connection = peer.Connection;
        Func<bool>? runHere = null;
        try
        {
            while (true)
            {
                var (read, kind, callId, body, length) = await TaskChannelFrames.ReadAsync(connection.Stream, peer.Header, _stopping.Token).ConfigureAwait(false);
                if (!read)
                {
                    return;
                }

                string? problem;
                try
                {
                    problem = kind switch
                    {
                        TaskChannelFrames.FrameKind.Request => Take(peer, callId, _serializer.Deserialize<TaskChannelRequest>(body.AsSpan(0, length)), out runHere),
                        TaskChannelFrames.FrameKind.ActorRequest => Take(peer, callId, _serializer.Deserialize<TaskChannelActorRequest>(body.AsSpan(0, length)), out runHere),
                        _ => $"a node takes only requests on its task channel, not {kind}",
                    };
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    problem = $"the request did not deserialize here: {ex.GetType().Name}: {ex.Message}";
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(body);
                }

                if (problem is not null)
                {
                    Interlocked.Increment(ref _refused);
                    LogBadRequest(_logger, peer.Address, problem);
                    connection.WriteFrame(TaskChannelFrames.Build(TaskChannelFrames.FrameKind.Failed, callId, Encoding.UTF8.GetBytes(problem), out var failedLength), failedLength);
                }

                if (runHere is not null)
                {
                    break; // the frame was read whole: the new loop owns the connection and its header buffer
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or EndOfStreamException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (ex is InvalidDataException)
            {
                Interlocked.Increment(ref _refused);
            }

            if (!_stopping.IsCancellationRequested)
            {
                LogClosed(_logger, peer.Address, ex.Message);
            }
        }
        finally
        {
            if (runHere is null)
            {
                lock (_connections)
                {
                    _connections.Remove(connection);
                }

                connection.Dispose();
            }
        }

        if (runHere is null)
        {
            return; // closed
        }

        ContinueReading(peer);

        // Claims the task and runs it here, as on a worker thread (false: a worker thread took it first). Its reply is
        // written when it completes, here or wherever it resumes.
        if (runHere())
        {
            Interlocked.Increment(ref _ranOnReader);
        }
    }

    /// <summary>True on a thread while it starts a connection's next read loop (<see cref="ContinueReading"/>).</summary>
    [ThreadStatic]
    private static bool _startingReader;

    /// <summary>Starts the connection's next read loop before this thread runs a claim: here, up to its first read that
    /// waits for data, whose continuation then runs on the thread pool when frames come (no thread is woken for it
    /// now). A loop started that way that finds a frame already there and is to run a claim of its own starts the next
    /// one on the thread pool instead, so loops never nest more than once.</summary>
    private void ContinueReading(Peer peer)
    {
        if (_startingReader)
        {
            _ = Task.Run(() => ReadFramesAsync(peer));
            return;
        }

        _startingReader = true;
        try
        {
            _ = ReadFramesAsync(peer);
        }
        finally
        {
            _startingReader = false;
        }
    }

    /// <summary>Hands a request's tasks to the node; null, or what is wrong with the request. A lone task (not a
    /// generator) whose function ran short last time is held for this thread to run (<paramref name="runHere"/>, its
    /// claim; null otherwise).</summary>
    private string? Take(Peer peer, long callId, TaskChannelRequest? request, out Func<bool>? runHere)
    {
        runHere = null;
        if (request is null || request.ReplyTo.IsDefault || request.Tasks is null)
        {
            return "the request named no reply endpoint or no tasks";
        }

        var connection = peer.Connection;
        var replyTo = peer.ReplyTo(request.ReplyTo, _grainFactory);
        Interlocked.Increment(ref _served);
        if (request.Tasks is not [{ Streaming: false }])
        {
            Run(connection, callId, _run, replyTo, request.Tasks);
            return null;
        }

        ChannelRunHere.Begin();
        try
        {
            Run(connection, callId, _run, replyTo, request.Tasks);
        }
        finally
        {
            runHere = ChannelRunHere.End();
        }

        return null;
    }

    /// <summary>Hands a lone actor call to the actor's mailbox on the node; null, or what is wrong with the request. When
    /// the actor is idle and its last call was short, the call is held for this thread to run (<paramref name="runHere"/>,
    /// its claim; null otherwise).</summary>
    private string? Take(Peer peer, long callId, TaskChannelActorRequest? request, out Func<bool>? runHere)
    {
        runHere = null;
        if (request?.Calls is not { Length: 1 } || _runActorCall is null)
        {
            return _runActorCall is null ? "this node takes no actor calls on its task channel" : "the request carried no lone actor call";
        }

        var batch = new ActorCallBatch(request.Calls)
        {
            ReplyTo = request.ReplyTo.IsDefault ? null : peer.ReplyTo(request.ReplyTo, _grainFactory),
            Floor = request.Floor,
        };
        Interlocked.Increment(ref _served);
        ChannelRunHere.Begin();
        try
        {
            Run(peer.Connection, callId, _runActorCall, request.Actor, batch);
        }
        finally
        {
            runHere = ChannelRunHere.End();
        }

        return null;
    }

    /// <summary>Runs <paramref name="take"/> and answers when its task completes (with the results that came in the
    /// wait, as Orleans' reply would carry them).</summary>
    private void Run<TFirst, TSecond, TReply>(TaskChannelStream connection, long callId, Func<TFirst, TSecond, Task<TReply>> take, TFirst first, TSecond second)
    {
        Task<TReply> running;
        try
        {
            running = take(first, second);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            running = Task.FromException<TReply>(ex);
        }

        if (running.IsCompleted)
        {
            Answer(connection, callId, running);
            return;
        }

        running.ContinueWith(
            static (done, state) =>
            {
                var (self, connection, callId) = ((TaskChannelServer, TaskChannelStream, long))state!;
                self.Answer(connection, callId, done);
            },
            (this, connection, callId),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Answer<TReply>(TaskChannelStream connection, long callId, Task<TReply> done)
    {
        byte[] frame;
        int length;
        try
        {
            frame = done.IsCompletedSuccessfully
                ? TaskChannelFrames.Build(_serializer, TaskChannelFrames.FrameKind.Accepted, callId, done.Result, out length)
                : TaskChannelFrames.Build(TaskChannelFrames.FrameKind.Failed, callId, Encoding.UTF8.GetBytes(Reason(done)), out length);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A reply that does not serialize (the node checks results before they travel, so this is a bug): the
            // owner is told, and sends the request through Orleans, whose reply reports it in its own way.
            frame = TaskChannelFrames.Build(TaskChannelFrames.FrameKind.Failed, callId, Encoding.UTF8.GetBytes($"the reply did not serialize: {ex.Message}"), out length);
        }

        try
        {
            connection.WriteFrame(frame, length);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or NotSupportedException)
        {
            // The owner went away: its read loop fails the call, and the owner's failure handling takes over.
        }
    }

    private static string Reason(Task done) =>
        done.Exception?.GetBaseException() is { } ex ? $"{ex.GetType().Name}: {ex.Message}" : "the node cancelled the request";

    /// <summary>Stops accepting and closes every connection (their owners' calls in flight fail as sends to a node that
    /// went away; later ones go through Orleans). The accept loop ends on its own.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Dispose();
        TaskChannelStream[] open;
        lock (_connections)
        {
            open = _connections.ToArray();
            _connections.Clear();
        }

        foreach (var connection in open)
        {
            connection.Dispose();
        }

        // _stopping stays undisposed: a connection's loop may still read its token as it ends.
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a task channel connection from {Address}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A task channel request from {Address} was refused: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string address, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The task channel connection from {Address} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string address, string reason);
}
