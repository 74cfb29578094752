using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Transport;

/// <summary>An owner's connection to one node's task channel (<see cref="TaskChannelServer"/>): sends of tasks with
/// any number in flight, each answered by its call id. It connects in the background on first use; until it is
/// connected, and whenever it cannot be (the node's port is not reachable from here, another cluster key), the caller
/// sends through Orleans instead (<see cref="TrySend"/> returns null).</summary>
internal sealed partial class TaskChannelClient : IDisposable
{
    /// <summary>How long after a failed connect the next is tried.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(10);

    /// <summary>How long after a connection broke the next connect is tried.</summary>
    public static readonly TimeSpan RetryAfterBreak = TimeSpan.FromSeconds(1);

    private readonly IPEndPoint _remote;
    private readonly Serializer _serializer;
    private readonly ClusterCredentials? _credentials;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, IPendingCall> _pending = new();
    private TaskChannelStream? _stream;
    private long _nextCallId;
    private int _connecting;
    private long _retryAt;
    private bool _warned;
    private volatile bool _disposed;

    /// <param name="remote">The node's task channel (<see cref="NodeStatus.TaskChannel"/>).</param>
    /// <param name="serializer">This process's Orleans serializer.</param>
    /// <param name="credentials">The cluster's credentials; null: plain TCP.</param>
    /// <param name="logger">Where an unreachable channel is reported (once).</param>
    public TaskChannelClient(IPEndPoint remote, Serializer serializer, ClusterCredentials? credentials, ILogger logger)
    {
        _remote = remote;
        _serializer = serializer;
        _credentials = credentials;
        _logger = logger;
    }

    /// <summary>True while a connection is open.</summary>
    public bool IsConnected => Volatile.Read(ref _stream) is not null;

    /// <summary>Sends <paramref name="tasks"/> on the channel.</summary>
    /// <returns>The node's reply (the results that came with it, as <see cref="INodeEndpoint.RunTasksAsync"/> returns
    /// them); it fails with <see cref="TaskChannelClosedException"/> when the connection breaks before the reply, and
    /// with <see cref="TaskChannelRefusedException"/> when the node could not take the request. Null when nothing was
    /// sent: no connection (yet), a batch over <see cref="TaskChannelFrames.MaxBody"/> or one that does not serialize
    /// here; the caller then sends through Orleans, which reports a bad value its own way.</returns>
    public Task<RemoteResult[]?>? TrySend(INodeEndpoint replyTo, RemoteTask[] tasks) =>
        TrySend<TaskChannelRequest, RemoteResult[]?>(TaskChannelFrames.FrameKind.Request, new TaskChannelRequest(replyTo.GetGrainId(), tasks));

    /// <summary>Sends a lone actor call to the actor's node, for the actor's mailbox there (as
    /// <see cref="IActorHostGrain.SubmitLoneAsync"/> takes it, without the host grain's turn).</summary>
    /// <returns>As <see cref="IActorHostGrain.SubmitLoneAsync"/> answers (null when the actor is not started and attached
    /// on that node: the caller then goes through its host grain), with the failures of <see cref="TrySend"/>; null when
    /// nothing was sent, as there.</returns>
    public Task<ActorCallsAccepted?>? TrySendActorCall(ActorId actor, ActorCallBatch batch) =>
        TrySend<TaskChannelActorRequest, ActorCallsAccepted?>(TaskChannelFrames.FrameKind.ActorRequest, new TaskChannelActorRequest(actor, batch.Calls, batch.ReplyTo?.GetGrainId() ?? default, batch.Floor));

    private Task<TReply>? TrySend<TRequest, TReply>(TaskChannelFrames.FrameKind kind, TRequest request)
    {
        var stream = Volatile.Read(ref _stream);
        if (stream is null)
        {
            StartConnecting();
            return null;
        }

        var callId = Interlocked.Increment(ref _nextCallId);
        byte[] frame;
        int length;
        try
        {
            frame = TaskChannelFrames.Build(_serializer, kind, callId, request, out length);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }

        // Its continuation (the send pump's or the actor outbox's: results to their entries, the next batch) runs on the
        // read loop, with no hand-off to another thread; none of it blocks, and an entry's waiters resume on their own
        // threads.
        var call = new PendingCall<TReply>(this);
        _pending[callId] = call;
        try
        {
            stream.WriteFrame(frame, length);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or NotSupportedException)
        {
            // Not written whole, so the node never read it: the caller sends it through Orleans.
            _pending.TryRemove(callId, out _);
            Broken(stream, ex);
            return null;
        }

        if (!ReferenceEquals(Volatile.Read(ref _stream), stream) && _pending.TryRemove(callId, out _))
        {
            // The connection broke while this was written, and its sweep of the calls in flight may have run before it
            // was registered: fail it here (exactly one party removes a call).
            call.Fail(new TaskChannelClosedException($"The task channel to {_remote} closed."));
        }

        return call.Task;
    }

    private void StartConnecting()
    {
        if (_disposed || Environment.TickCount64 < Interlocked.Read(ref _retryAt) || Interlocked.CompareExchange(ref _connecting, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(ConnectAsync);
    }

    private async Task ConnectAsync()
    {
        try
        {
            var stream = await TaskChannelStream.ConnectAsync(_remote, _credentials, CancellationToken.None).ConfigureAwait(false);
            if (_disposed)
            {
                stream.Dispose();
                return;
            }

            Volatile.Write(ref _stream, stream);
            _ = ReadLoopAsync(stream);
            if (_disposed)
            {
                Broken(stream, new ObjectDisposedException(nameof(TaskChannelClient)));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + (long)RetryAfterFailure.TotalMilliseconds);
            if (!_warned && !_disposed)
            {
                _warned = true;
                LogUnreachable(_logger, _remote.ToString(), ex.Message);
            }
        }
        finally
        {
            Volatile.Write(ref _connecting, 0);
        }
    }

    private async Task ReadLoopAsync(TaskChannelStream stream)
    {
        var header = new byte[TaskChannelFrames.HeaderSize];
        Exception? failure = null;
        try
        {
            while (true)
            {
                var (read, kind, callId, body, length) = await TaskChannelFrames.ReadAsync(stream.Stream, header, CancellationToken.None).ConfigureAwait(false);
                if (!read)
                {
                    break;
                }

                try
                {
                    if (_pending.TryRemove(callId, out var call))
                    {
                        call.Complete(kind, body.AsSpan(0, length));
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(body);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failure = ex;
        }

        Broken(stream, failure);
    }

    /// <summary>A send waiting for its reply, by call id.</summary>
    private interface IPendingCall
    {
        void Complete(TaskChannelFrames.FrameKind kind, ReadOnlySpan<byte> body);

        void Fail(Exception failure);
    }

    private sealed class PendingCall<TReply> : TaskCompletionSource<TReply>, IPendingCall
    {
        private readonly TaskChannelClient _client;

        public PendingCall(TaskChannelClient client) => _client = client;

        public void Complete(TaskChannelFrames.FrameKind kind, ReadOnlySpan<byte> body)
        {
            if (kind != TaskChannelFrames.FrameKind.Accepted)
            {
                TrySetException(new TaskChannelRefusedException($"The node at {_client._remote} refused the request: {Encoding.UTF8.GetString(body)}"));
                return;
            }

            TReply reply;
            try
            {
                reply = _client._serializer.Deserialize<TReply>(body)!; // null is a reply of its own (nothing carried)
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                TrySetException(new TaskChannelRefusedException($"The reply of the node at {_client._remote} did not deserialize here: {ex.Message}", ex));
                return;
            }

            TrySetResult(reply!);
        }

        public void Fail(Exception failure) => TrySetException(failure);
    }

    /// <summary>The connection broke (or is being closed): every call in flight on it fails with
    /// <see cref="TaskChannelClosedException"/>, and the next send after <see cref="RetryAfterBreak"/> reconnects.</summary>
    private void Broken(TaskChannelStream stream, Exception? cause)
    {
        if (!ReferenceEquals(Interlocked.CompareExchange(ref _stream, null, stream), stream))
        {
            return;
        }

        Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + (long)RetryAfterBreak.TotalMilliseconds);
        stream.Dispose();
        foreach (var callId in _pending.Keys)
        {
            if (_pending.TryRemove(callId, out var call))
            {
                // On the thread pool: the caller's failure handling must not run inside whoever closed the channel.
                var failure = new TaskChannelClosedException(
                    $"The task channel to {_remote} closed before the node answered{(cause is null ? string.Empty : $": {cause.Message}")}.", cause);
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Call.Fail(state.Failure), (Call: call, Failure: failure), preferLocal: false);
            }
        }
    }

    /// <summary>Closes the connection (the node died, or this runtime stops): calls in flight fail with
    /// <see cref="TaskChannelClosedException"/>; later sends return null.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (Volatile.Read(ref _stream) is { } stream)
        {
            Broken(stream, new ObjectDisposedException(nameof(TaskChannelClient), "the node's connection was closed here"));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The task channel at {Remote} cannot be reached from here ({Reason}); tasks for that node go through Orleans messaging")]
    private static partial void LogUnreachable(ILogger logger, string remote, string reason);
}

/// <summary>A task channel connection closed before the node answered a send: the node may or may not have taken the
/// tasks (the owner treats them as it treats a send to a node that went away).</summary>
internal sealed class TaskChannelClosedException : IOException
{
    public TaskChannelClosedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The node answered a send on its task channel without taking it (its body did not deserialize there, say):
/// nothing ran, and the owner sends it through Orleans instead.</summary>
internal sealed class TaskChannelRefusedException : IOException
{
    public TaskChannelRefusedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

