using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Sends the results of work this node ran for other owners (tasks placed here, actor calls) back to those
/// owners, batched per owner: a large value goes into this node's object store and its owner gets where it is stored
/// (Ray: a large return value stays in the object store of the node that ran the task).</summary>
internal sealed partial class OwnerReplies
{
    /// <summary>How long a reply to the send of lone work (one task, one actor call) waits for the work's result before it
    /// goes without it (the result then travels on its own): long enough for short work, short enough that the sender's
    /// next batch, which waits for this reply, is not held up for long.</summary>
    public static readonly TimeSpan LoneReplyWait = TimeSpan.FromMilliseconds(1);

    private static readonly long LoneReplyWaitTicks = (long)(LoneReplyWait.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    private readonly ConcurrentDictionary<INodeEndpoint, SendPump<RemoteResult>> _pumps = new();

    /// <summary>Results a caller is waiting to carry in its reply instead (<see cref="CarryResultAsync"/>), by object id.</summary>
    private readonly ConcurrentDictionary<ObjectId, ReplyHold> _held = new();

    /// <summary>The open holds in the order they expire (each waits <see cref="LoneReplyWait"/>), for the sweep; under its
    /// own lock. Not a <see cref="ConcurrentQueue{T}"/>: one that was peeked keeps its dequeued items referenced, and a
    /// hold keeps its result, whose value may be of a job's code, which then could not unload.</summary>
    private readonly Queue<ReplyHold> _expiring = new();
    private readonly Timer _sweep;

    /// <summary>True while the sweep's timer is set (under the queue's lock).</summary>
    private bool _sweepArmed;
    private long _carried;
    private readonly RecentlyCarried _recent = new();
    private readonly StoredValues _values;
    private readonly ValueCopier _copier;
    private readonly ILogger _logger;

    public OwnerReplies(StoredValues values, ValueCopier copier, ILogger logger)
    {
        _values = values;
        _copier = copier;
        _logger = logger;
        using (ExecutionContext.SuppressFlow())
        {
            _sweep = new Timer(static self => ((OwnerReplies)self!).Sweep(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Sends a result to the owner at <paramref name="replyTo"/> (batched per owner). A value that cannot be
    /// serialized fails this result alone, with a serialization error (<see cref="WireCheck"/>): results travel
    /// one-way, and Orleans drops a one-way batch whose body fails to serialize, neighbours and all.</summary>
    /// <param name="replyTo">The owner's endpoint.</param>
    /// <param name="result">The result.</param>
    /// <param name="functionName">The task or actor method that produced it (named by a serialization error).</param>
    /// <param name="driver">The connected driver that owns the result, when it is a task's the driver submitted
    /// (<see cref="RemoteTask.DriverOwned"/>): a large value stored here is recorded as that driver's
    /// (<see cref="DriverObjects"/>), so this node deletes it when the driver's job ends. Empty: nothing is recorded.</param>
    public void Reply(INodeEndpoint replyTo, RemoteResult result, string functionName = "", WorkerId driver = default)
    {
        if (result.Error is null && result.OtherReturns is { } others && _values.Store is { } otherStore && others.Any(o => otherStore.IsLarge(o.Value)))
        {
            // Several returns (Ray's num_returns): each large one goes into the store alone, under its own id.
            _ = ReplyWhenReturnsStoredAsync(replyTo, result, others, otherStore, functionName, driver);
            return;
        }

        if (result.Error is null && _values.Store is { } store && store.IsLarge(result.Value))
        {
            ValueTask<StoredObject> put;
            try
            {
                put = store.PutAsync(result.ObjectId, result.Value!, "result", CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                put = ValueTask.FromException<StoredObject>(ex);
            }

            if (!put.IsCompleted)
            {
                // The store is making room (spilling): send once the value is in.
                _ = ReplyWhenStoredAsync(replyTo, result, put, functionName, driver);
                return;
            }

            result = Stored(result, put);
            RecordFor(driver, result);
        }

        Send(replyTo, WithoutStoredOthersIfFailed(result), functionName);
    }

    /// <summary>A failed result whose other returns were already put (return 1's put failed after them): the owner fails
    /// every return without reading them, so their stored copies are deleted here and not sent.</summary>
    private RemoteResult WithoutStoredOthersIfFailed(RemoteResult result)
    {
        if (result.Error is null || result.OtherReturns is not { } others)
        {
            return result;
        }

        if (_values.Store is { } store)
        {
            DeleteStored(store, others);
        }

        return result with { OtherReturns = null };
    }

    private void DeleteStored(LocalObjectStore store, ReadOnlySpan<ReturnValue> returns)
    {
        foreach (var other in returns)
        {
            if (other?.Value is StoredObject stored)
            {
                store.Delete(LocalObjectStore.ToStoreId(stored.Id));
                _values.DriverObjects.Forget([stored.Id]);
            }
        }
    }

    private async Task ReplyWhenReturnsStoredAsync(INodeEndpoint replyTo, RemoteResult result, ReturnValue[] others, LocalObjectStore store, string functionName, WorkerId driver)
    {
        var stored = new ReturnValue[others.Length];
        for (var i = 0; i < others.Length; i++)
        {
            var other = others[i];
            if (!store.IsLarge(other.Value))
            {
                stored[i] = other;
                continue;
            }

            var put = Stored(new RemoteResult { ObjectId = other.Id, Value = other.Value }, await PutQuietlyAsync(store, other).ConfigureAwait(false));
            if (put.Error is not null)
            {
                // The work's returns fail together (their owner fails them all with this error); the ones already put
                // are deleted here, since the owner never learns where they are.
                DeleteStored(store, stored.AsSpan(0, i));
                Reply(replyTo, result with { Value = null, OtherReturns = null, Error = put.Error }, functionName, driver);
                return;
            }

            RecordFor(driver, put);
            stored[i] = other with { Value = put.Value };
        }

        Reply(replyTo, result with { OtherReturns = stored }, functionName, driver);
    }

    /// <summary>Puts a large return into the store; the outcome (a failure included) as a completed ValueTask.</summary>
    private static async Task<ValueTask<StoredObject>> PutQuietlyAsync(LocalObjectStore store, ReturnValue other)
    {
        try
        {
            return new ValueTask<StoredObject>(await store.PutAsync(other.Id, other.Value!, "result", CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<StoredObject>(ex);
        }
    }

    private async Task ReplyWhenStoredAsync(INodeEndpoint replyTo, RemoteResult result, ValueTask<StoredObject> put, string functionName, WorkerId driver)
    {
        // A ValueTask may be consumed once: wait on its task, and read the outcome from that.
        var stored = put.AsTask();
        try
        {
            await stored.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Observed here; Stored below turns it into the result's error.
        }

        result = Stored(result, new ValueTask<StoredObject>(stored));
        RecordFor(driver, result);
        Send(replyTo, WithoutStoredOthersIfFailed(result), functionName);
    }

    /// <summary>Records a result just stored here as <paramref name="driver"/>'s, before its owner hears where it is: the
    /// node deletes it when the driver's job ends (<see cref="DriverObjects"/>). Nothing for an empty driver, nor for a
    /// result whose put failed.</summary>
    private void RecordFor(WorkerId driver, RemoteResult result)
    {
        if (!driver.IsEmpty && result.Value is StoredObject stored)
        {
            _values.DriverObjects.Record(driver, stored.Id);
        }
    }

    /// <summary>The result with its value replaced by where it is stored, or by the store's failure.</summary>
    private RemoteResult Stored(RemoteResult result, ValueTask<StoredObject> put)
    {
        if (put.IsCompletedSuccessfully)
        {
            return result with { Value = put.Result };
        }

        var failure = put.AsTask().Exception!.GetBaseException();
        var error = failure is ObjectStore.ObjectStoreFullException full
            ? (_values.Store is { } store ? full.OnNode(store.NodeName) : full)
            : new ObjectStore.ObjectStoreException($"The result {result.ObjectId} could not be put into the node's object store: {failure.Message}", failure);
        return result with { Value = null, Error = RayError.FromException(error, "storing a result") };
    }

    /// <summary>Results that went back in a held reply rather than on their own, since this node started.</summary>
    public long CarriedInReplies => Interlocked.Read(ref _carried);

    /// <summary>Replies held open for a result now.</summary>
    public int HeldReplies => _held.Count;

    /// <summary>Starts work whose result is object <paramref name="id"/> and holds the caller's reply open for up to
    /// <see cref="LoneReplyWait"/> for that result, for the reply to carry it (Ray's PushTask reply carries a small return
    /// value): a result sent for <paramref name="id"/> meanwhile comes back here and goes nowhere else.</summary>
    /// <param name="id">The work's result object.</param>
    /// <param name="start">Starts the work (queues it); an exception from it propagates, nothing held.</param>
    /// <returns>The result, or null when the work had not finished within <see cref="LoneReplyWait"/> (then its result is
    /// sent on its own when it does). It completes on the thread that finished the work, or on the expiry sweep's.</returns>
    /// <remarks>No timer per hold: holds expire in order (they all wait as long), so one sweep, armed while any is open,
    /// expires every hold whose time has come.</remarks>
    public Task<RemoteResult?> CarryResultAsync(ObjectId id, Action start)
    {
        if (_recent.Recall(id) is { } carried)
        {
            return Task.FromResult<RemoteResult?>(carried); // sent again: the reply that carried it did not reach the sender
        }

        // A send of the same work still held open (its sender retried meanwhile) keeps the hold: this reply waits on it
        // too, and both carry the result (the owner takes it once), or both go without it when it expires.
        var hold = new ReplyHold(id, System.Diagnostics.Stopwatch.GetTimestamp() + LoneReplyWaitTicks);
        var held = _held.GetOrAdd(id, hold);
        var mine = ReferenceEquals(held, hold);
        try
        {
            start();
        }
        catch
        {
            if (mine && _held.TryRemove(KeyValuePair.Create(id, hold)))
            {
                hold.TrySetResult(null); // a retried send waiting on this hold goes without the result
            }

            throw;
        }

        if (mine && !hold.Task.IsCompleted)
        {
            ExpireLater(hold);
        }

        return held.Task;
    }

    /// <summary>Queues <paramref name="hold"/> for the expiry sweep, and sets the sweep's timer if it is not set.</summary>
    private void ExpireLater(ReplyHold hold)
    {
        lock (_expiring)
        {
            _expiring.Enqueue(hold);
            if (_sweepArmed)
            {
                return;
            }

            _sweepArmed = true;
        }

        _sweep.Change(LoneReplyWait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Expires the holds whose time has come (their replies go without the result, which travels on its own when
    /// the work finishes), and sets the timer again for the next, if any.</summary>
    private void Sweep()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        while (NextExpired(now) is { } hold)
        {
            if (_held.TryRemove(KeyValuePair.Create(hold.Id, hold)))
            {
                hold.TrySetResult(null); // its continuation (the reply) runs here, outside the queue's lock
            }
        }

        long nextExpiry;
        lock (_expiring)
        {
            if (!_expiring.TryPeek(out var next))
            {
                _sweepArmed = false; // the next hold sets it
                return;
            }

            nextExpiry = next.ExpiresAt;
        }

        var remaining = TimeSpan.FromSeconds((double)(nextExpiry - now) / System.Diagnostics.Stopwatch.Frequency);
        _sweep.Change(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Takes the first hold off the queue if its time has come (completed ones too: they go at their time).</summary>
    private ReplyHold? NextExpired(long now)
    {
        lock (_expiring)
        {
            return _expiring.TryPeek(out var hold) && hold.ExpiresAt <= now ? _expiring.Dequeue() : null;
        }
    }

    /// <summary>A reply held open for its work's result (<see cref="CarryResultAsync"/>): completed with the result by
    /// <see cref="Send"/>, or with null by the sweep once <see cref="ExpiresAt"/> has passed; whoever removes it from the
    /// held replies completes it.</summary>
    private sealed class ReplyHold : TaskCompletionSource<RemoteResult?>
    {
        public ReplyHold(ObjectId id, long expiresAt)
        {
            Id = id;
            ExpiresAt = expiresAt;
        }

        /// <summary>The work's result object.</summary>
        public ObjectId Id { get; }

        /// <summary>When it expires (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
        public long ExpiresAt { get; }
    }

    private void Send(INodeEndpoint replyTo, RemoteResult result, string functionName)
    {
        result = WireCheck.Checked(result, _copier.Serializer, functionName);
        if (!_held.IsEmpty && _held.TryRemove(result.ObjectId, out var hold))
        {
            Interlocked.Increment(ref _carried);
            _recent.Add(result);
            hold.TrySetResult(result);
            return;
        }

        var pump = _pumps.GetOrAdd(replyTo, static (endpoint, self) => new SendPump<RemoteResult>(
            endpoint.DeliverResultsAsync,
            (batch, ex) => self.Failed(endpoint, batch, ex)), this);
        pump.Enqueue(result);
    }

    /// <summary>A batch of results could not be sent. When the owner is unreachable they are lost with it (it owned
    /// their objects); when the items were at fault (the pump has split the batch down to them), each is sent again
    /// as an error, so the owner's waiter fails instead of waiting forever.</summary>
    private void Failed(INodeEndpoint replyTo, RemoteResult[] batch, Exception ex)
    {
        LogReplyFailedDetail(_logger, batch.Length, ex);
        if (SendFailures.IsTransient(ex))
        {
            LogOwnerGone(_logger, batch.Length, Transport.CallFailures.Describe(ex));
            return;
        }

        LogReplyFailed(_logger, batch.Length, Transport.CallFailures.Describe(ex));
        if (!_pumps.TryGetValue(replyTo, out var pump))
        {
            return;
        }

        foreach (var result in batch)
        {
            if (result.Value is not null || result.Error is null)
            {
                // Only a result that still carried a value is resent (as an error without one): a result that failed
                // again as an error is not resent, so nothing loops. The work's name is not kept with its queued
                // result: its owner names the error from the work it awaits (ForeignTasks.Deliver).
                pump.Enqueue(result with { Value = null, Error = WireCheck.SerializationError(result.Value?.GetType(), ex, string.Empty) });
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} result(s) to the process that owns them: {Reason}; they are dropped, as that process is gone")]
    private static partial void LogOwnerGone(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} result(s) to the process that owns them: {Reason}; each is sent again as an error")]
    private static partial void LogReplyFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sending {Count} result(s) to their owner failed")]
    private static partial void LogReplyFailedDetail(ILogger logger, int count, Exception exception);
}
