using OrleansRay.Execution;
using OrleansRay.Node;
using OrleansRay.Ownership;
using OrleansRay.Transport;

namespace OrleansRay;

/// <summary>Reads objects for refs: finds the owner's entry, waits, and turns a captured error into its exception.</summary>
/// <remarks>Objects in the owner's memory are deep-copied out; objects in the node's object store are copied out of
/// its mapping into a fresh value (objects are immutable: each reader gets its own copy).</remarks>
internal static class ObjectResolver
{
    /// <summary>Reads <paramref name="objectRef"/>'s object; <paramref name="caller"/>: the reader of the <c>IRay</c> that
    /// asks (see <see cref="Find"/>), null for a read through the ref itself.</summary>
    public static ValueTask<T> GetAsync<T>(ObjectRef<T> objectRef, TimeSpan? timeout, CancellationToken cancellationToken, ObjectReader? caller = null)
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        var (runtime, entry) = Find(objectRef, caller);
        var outcome = entry.Read();
        if (outcome.IsComplete && outcome.Stored is null)
        {
            var value = Read<T>(runtime, entry.Id, outcome);
            objectRef.DetachAfterRead(entry);
            return new ValueTask<T>(value);
        }

        // Only a plain get spins (no timeout, no token): one with a token or timeout may be a poll that gives up at once.
        if (timeout is null && !cancellationToken.CanBeCanceled && SpinUntilProduced(entry))
        {
            // Produced while this thread looked: read it here, with no continuation to hand to another thread.
            outcome = entry.Read();
            if (outcome.IsComplete && outcome.Stored is null)
            {
                var value = Read<T>(runtime, entry.Id, outcome);
                objectRef.DetachAfterRead(entry);
                return new ValueTask<T>(value);
            }
        }

        return WaitAndReadAsync<T>(runtime, entry, objectRef, timeout, cancellationToken, caller);
    }

    /// <summary>How long a driver's get of the one task in flight looks for its result before it awaits it (50 µs).</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000;

    /// <summary>A driver waiting for the result of the only task its node has in flight (a submit-then-get loop: Ray's
    /// "tasks sync") looks for it for up to <see cref="SpinTicks"/> before awaiting: a trivial task is done in a few
    /// microseconds, and an await would cost a hand-off to another thread (often one that must be woken) on the way
    /// back. Never on a worker thread (a task's get hands its resources back instead), never with other tasks in flight
    /// (a driver getting many refs at once must not spin on each), and only while the task is queued or running here. The
    /// same for the caller's only call to a class actor on this node (Ray's "1:1 actor calls sync"). Before it spins, it
    /// runs the work itself if no worker thread has taken it yet and the function's last run (the actor's last call) was
    /// shorter than the spin and did not await (<see cref="IPendingWork.TryRunHere"/>): then the get blocks its caller
    /// about as long as the spin would, and no thread is woken on either side.</summary>
    private static bool SpinUntilProduced(ObjectEntry entry)
    {
        // Only a driver's own code: not a worker thread, not task code resumed elsewhere (it hands its resources back
        // while it waits), not a grain turn (an actor grain's method must not hold its turn).
        if (!WorkerPool.IsDriverCode || entry.Producer is not { IsLoneLocal: true } producer)
        {
            return false;
        }

        // Still queued: run it right here (no worker thread to wake, nor this thread to wake after it).
        if (producer.TryRunHere() && entry.IsComplete)
        {
            return true;
        }

        var until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        var spin = new SpinWait();
        while (!entry.IsComplete)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() > until)
            {
                return false;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        return true;
    }

    private static async ValueTask<T> WaitAndReadAsync<T>(ObjectReader runtime, ObjectEntry entry, ObjectRef objectRef, TimeSpan? timeout, CancellationToken cancellationToken, ObjectReader? caller)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (ObjectWaiter.PlainWait(entry, timeout, cancellationToken) is { } plain)
        {
            await plain.ConfigureAwait(false);
        }
        else if (!await ObjectWaiter.WaitOneAsync(entry, timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new GetTimeoutException(timeout!.Value, $"Object {objectRef.Id}", (entry.Producer as Actors.ActorCallHandle)?.SelfWaitHint());
        }

        if (caller is null || ReferenceEquals(caller, runtime))
        {
            // The reader's own runtime shut down meanwhile. Another runtime's ref (a live IRay reading what a disposed one
            // owned) fails as lost instead, as the README says.
            ThrowIfShutDown(runtime);
        }

        var value = timeout is { } limit
            ? await ReadWithinAsync<T>(runtime, entry, started, limit, $"Object {objectRef.Id}", cancellationToken).ConfigureAwait(false)
            : await ReadAsync<T>(runtime, entry, cancellationToken).ConfigureAwait(false);
        objectRef.DetachAfterRead(entry);
        return value;
    }

    /// <summary>Reads a produced entry within what is left of a get's <paramref name="timeout"/> (counted from
    /// <paramref name="started"/>, a <see cref="System.Diagnostics.Stopwatch"/> timestamp): a value in memory at once; one
    /// in a store may have to be pulled from another node, or rebuilt from its lineage when that node died, and that wait
    /// ends with <see cref="GetTimeoutException"/> like the wait for the object itself (a reviewer's
    /// <c>GetAsync(refs, 60 s)</c> of objects whose node was killed, rebuilt by tasks no live node could run, never
    /// returned).</summary>
    internal static async ValueTask<T> ReadWithinAsync<T>(ObjectReader runtime, ObjectEntry entry, long started, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var outcome = entry.Read();
        if (outcome.IsComplete && outcome.Stored is null)
        {
            return Read<T>(runtime, entry.Id, outcome);
        }

        var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(left > MinReadTime ? left : MinReadTime);
        try
        {
            return await ReadAsync<T>(runtime, entry, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GetTimeoutException(timeout, what, "Its value was being read from a node's object store, or rebuilt from its lineage after its node died, and that did not finish in time: wait longer, or check `PendingDemandsAsync()` for a rebuild that cannot be scheduled.");
        }
    }

    /// <summary>The least a read of a produced value gets when a get's timeout ran out while it waited for the object:
    /// a read from this node's store takes microseconds, and must not fail for a timeout the wait used up.</summary>
    private static readonly TimeSpan MinReadTime = TimeSpan.FromMilliseconds(100);

    /// <summary>The reader and entry of <paramref name="objectRef"/>: its owner's entry when the owner is in this
    /// process, else the local entry that reads it through its owner (a borrower).</summary>
    /// <param name="objectRef">The ref.</param>
    /// <param name="caller">The reader of the live <c>IRay</c> that asks, if one does. A ref of another runtime of this
    /// process that has shut down (another <c>IRay</c>, disposed) is then an object whose owner died: its entry is one
    /// failed as lost (a get raises <see cref="ObjectLostException"/>, a wait finds it ready), not this node's shutdown.</param>
    /// <exception cref="ObjectLostException">The owner is not reachable from here, or the object no longer exists.</exception>
    /// <exception cref="ObjectDisposedException">The runtime that reads this ref (its owner, or the borrower it crossed
    /// to) has shut down: the driver's <c>IRay</c> was disposed, or its node stopped; and no other <paramref name="caller"/> asks.</exception>
    /// <exception cref="ClusterLostException">That runtime is a connected driver that gave its cluster up.</exception>
    public static (ObjectReader Runtime, ObjectEntry Entry) Find(ObjectRef objectRef, ObjectReader? caller = null)
    {
        if (objectRef.Reader is not { } reader)
        {
            throw new ObjectLostException(
                $"Object {objectRef.Id} is owned by worker {objectRef.Owner}, which is not in this process: its owner has shut down, " +
                "or the ref crossed to a process that cannot reach it.");
        }

        if (caller is not null && objectRef.HeldByShutDownRuntime(caller))
        {
            return (caller, objectRef.LostWithItsRuntime());
        }

        ThrowIfShutDown(reader);

        if (objectRef.IsBorrowed)
        {
            // Borrowed: the owner is another process; read through it.
            return (reader, objectRef.Borrowed(reader));
        }

        if (!objectRef.TryFindOwned(reader.Objects, out var entry))
        {
            throw new ObjectLostException($"Object {objectRef.Id} no longer exists: every reference to it was released, or its owner shut down.");
        }

        return (reader, entry);
    }

    /// <summary>Throws what reading through <paramref name="runtime"/> throws once it has shut down: even a value that was
    /// complete, since reading it out needs the node's serializer, which has gone with it
    /// (<see cref="ObjectDisposedException"/>); a driver that gave its cluster up says so instead
    /// (<see cref="ClusterLostException"/>). A get or wait that was waiting when its driver's disposal began calls it after
    /// its wait, so it ends as every later call does, not with the error the shutdown gave the object on the way (lost,
    /// a killed actor's call, a cancelled task).</summary>
    public static void ThrowIfShutDown(ObjectReader runtime)
    {
        if (runtime.Objects.IsClosing)
        {
            throw runtime.Objects.ClearedWith is { Kind: RayErrorKind.ClusterLost } lost ? ErrorMapper.ToException(lost) : LocalNode.ShutDown();
        }
    }

    /// <summary>Reads a completed entry: from the owner's memory, or from an object store (this node's, or pulled from
    /// the node that holds it).</summary>
    public static ValueTask<T> ReadAsync<T>(ObjectReader runtime, ObjectEntry entry, CancellationToken cancellationToken)
    {
        var outcome = entry.Read();
        return outcome.Stored is { } stored ? ReadStoredAsync<T>(runtime, entry, stored, cancellationToken)
            : outcome.IsComplete ? new ValueTask<T>(Read<T>(runtime, entry.Id, outcome))
            : WaitThenReadAsync<T>(runtime, entry, cancellationToken);
    }

    /// <summary>The entry turned pending again (it is being rebuilt from its lineage): waits for it, then reads.</summary>
    private static async ValueTask<T> WaitThenReadAsync<T>(ObjectReader runtime, ObjectEntry entry, CancellationToken cancellationToken)
    {
        await ObjectWaiter.WaitOneAsync(entry, null, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(runtime, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a completed entry held in the owner's memory (<paramref name="outcome"/>: one view of it).</summary>
    public static T Read<T>(ObjectReader runtime, ObjectId id, ObjectOutcome outcome)
    {
        if (outcome.Error is { } error)
        {
            throw StoreErrors.ToException(error);
        }

        object? copy;
        try
        {
            copy = runtime.Copier.ReadOut(outcome.Value);
        }
        catch (Orleans.Serialization.CodecNotFoundException ex)
        {
            // A result that reached its owner without crossing a wire (same process) still cannot be handed out: the
            // same serialization error its task would get from another node, not Orleans' exception. Its work is gone
            // (and with it its name): a value whose own type has no codec failed its work by name when it returned
            // (ValueCopier.CheckResult); this one holds something without a codec deeper inside.
            throw new RayTaskException(WireCheck.SerializationError(outcome.Value?.GetType(), ex, string.Empty));
        }

        return Cast<T>(copy, id);
    }

    private static async ValueTask<T> ReadStoredAsync<T>(ObjectReader runtime, ObjectEntry entry, StoredObject stored, CancellationToken cancellationToken)
    {
        for (var recoveries = 0; ; recoveries++)
        {
            object? value;
            try
            {
                value = await runtime.Values.ReadAsync(stored, cancellationToken).ConfigureAwait(false);
            }
            catch (RayErrorException ex) when (ex.Error.Kind == RayErrorKind.ObjectLost && recoveries < MaxRecoveries
                && runtime.TryRecover(entry, stored))
            {
                // This runtime owns it: it is being rebuilt from its lineage (or failed with why it cannot be).
                await ObjectWaiter.WaitOneAsync(entry, null, cancellationToken).ConfigureAwait(false);
                var outcome = entry.Read();
                if (outcome.Stored is { } rebuilt)
                {
                    stored = rebuilt;
                    continue;
                }

                if (outcome.IsComplete)
                {
                    return Read<T>(runtime, entry.Id, outcome);
                }

                continue; // pending again already: the next read fails fast or finds the rebuilt copy's location
            }
            catch (RayErrorException ex)
            {
                throw StoreErrors.ToException(ex.Error);
            }
            catch (Exception ex) when (StoreErrors.OnRead(ex, entry.Id) is { } mapped)
            {
                throw mapped;
            }

            // A job's value comes out of the store packed: the reading code's job unpacks it.
            return Cast<T>(value is PackedValue ? runtime.Copier.ReadOut(value) : value, entry.Id);
        }
    }

    /// <summary>How often one read rebuilds a lost object before it gives up (each rebuild also counts against the
    /// making task's retries, which usually end it first).</summary>
    private const int MaxRecoveries = 8;

    private static T Cast<T>(object? value, ObjectId id)
    {
        if (value is null)
        {
            return default!;
        }

        if (value is T typed)
        {
            return typed;
        }

        throw new InvalidCastException($"Object {id} holds a {value.GetType().FullName}, not the {typeof(T).FullName} its ref promises.");
    }
}
