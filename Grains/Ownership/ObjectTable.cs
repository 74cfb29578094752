using System.Collections.Concurrent;

namespace OrleansRay.Ownership;

/// <summary>The objects this worker owns (Ray's ownership model): each entry's state and its local reference count.</summary>
/// <remarks>
/// An entry lives while a live ObjectRef handle for it exists in this process. Handles that are still reachable from
/// pending task arguments, stored values or actors keep it alive through the GC, so only handle finalization is counted.
/// An entry whose object lives in the node's object store deletes it from the store when the entry is dropped.
/// </remarks>
internal sealed class ObjectTable
{
    private readonly ConcurrentDictionary<ObjectId, ObjectEntry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>The reader of stored objects, whose store is where values above the inline threshold go (none keeps
    /// everything inline).</summary>
    public StoredValues? Values { get; set; }

    /// <summary>The runtime's object store, or null when it has none.</summary>
    public LocalObjectStore? Store => Values?.Store;

    /// <summary>Creates the entry of a new object with one handle (the ObjectRef about to be returned).</summary>
    public ObjectEntry Create(ObjectId id)
    {
        var entry = new ObjectEntry(id, this) { Handles = 1 };
        if (!_entries.TryAdd(id, entry))
        {
            throw new InvalidOperationException($"Object {id} already exists.");
        }

        return entry;
    }

    public bool TryGet(ObjectId id, out ObjectEntry entry) => _entries.TryGetValue(id, out entry!);

    /// <summary>Takes <paramref name="entry"/> out of the table for the one ref that holds it, after that ref's first
    /// read or the first wait that finds it complete (<c>ObjectRef</c>'s detach): true when the entry is complete with
    /// its value (not an error: a failed object stays listed by the state API) in this process's memory, has
    /// that one handle and nothing else that may look it up by id (no lineage of other objects on it, no lineage of its
    /// own, no transit pin, no borrower). The entry then lives exactly as long as the ref, without
    /// the ref's finalizer, so a submit-then-get loop's refs, entries and values die young instead of surviving a
    /// collection each (ADR 0026). The ref puts it back (<see cref="Reinsert"/>) before it is
    /// shared.</summary>
    public bool TryDetach(ObjectEntry entry)
    {
        lock (entry)
        {
            if (entry.Handles != 1 || entry.LineageRefs != 0 || entry.Orphaned || !entry.IsComplete || entry.IsFailed || entry.StoredObject is not null
                || entry.IsValueReleased || entry.IsBorrowed || entry.Lineage is not null)
            {
                return false;
            }

            return _entries.TryRemove(new KeyValuePair<ObjectId, ObjectEntry>(entry.Id, entry));
        }
    }

    /// <summary>Puts back an entry its ref took out (<see cref="TryDetach"/>): the ref is about to be shared (passed to a
    /// task, serialized, copied), and whoever receives it finds the object by id. Not after <see cref="Clear"/>: the
    /// owner has shut down, its objects are gone for every ref, and a late share must not leave one behind.</summary>
    public void Reinsert(ObjectEntry entry)
    {
        if (!_cleared)
        {
            _entries.TryAdd(entry.Id, entry);
        }
    }

    /// <summary>Set by <see cref="Clear"/>: the table takes no entry back after that.</summary>
    private volatile bool _cleared;

    /// <summary>True once <see cref="Clear"/> ran: the runtime that owns these objects shut down.</summary>
    public bool IsCleared => _cleared;

    /// <summary>Set by <see cref="MarkClosing"/>.</summary>
    private volatile bool _closing;

    /// <summary>True once the shutdown of the runtime that owns these objects has begun (a driver's <c>DisposeAsync</c>,
    /// which first kills its actors and ends its job) or ended (<see cref="IsCleared"/>): a read that was waiting then ends
    /// as every later use of the driver does, not with the error its disposal gave the object on the way (a killed
    /// actor's call, a cancelled task).</summary>
    public bool IsClosing => _closing || _cleared;

    /// <summary>Marks the start of the owning runtime's shutdown (see <see cref="IsClosing"/>).</summary>
    public void MarkClosing() => _closing = true;

    /// <summary>The error <see cref="Clear"/> failed the entries with (null before): a reader of a cleared table tells a
    /// runtime that lost its cluster (<see cref="RayErrorKind.ClusterLost"/>) from one that shut down.</summary>
    public RayError? ClearedWith { get; private set; }

    /// <summary>The entries now (a moving snapshot: entries added or removed meanwhile may or may not appear).</summary>
    public IEnumerable<ObjectEntry> Entries => _entries.Values;

    /// <summary>Called by a reader whose read of <paramref name="entry"/>'s stored copy failed: rebuilds it from its
    /// lineage or fails it with why it is lost (set by the runtime). True when the entry changed (read it again).</summary>
    public Func<ObjectEntry, StoredObject, bool>? Recover { get; set; }

    /// <summary>True when <paramref name="entry"/> is this table's (an owned object, not a borrowed one).</summary>
    public bool Owns(ObjectEntry entry) => _entries.TryGetValue(entry.Id, out var owned) && ReferenceEquals(owned, entry);

    /// <summary>Counts one more live handle for <paramref name="id"/> (a ref rebuilt in this process, or a task about
    /// to run again that needs it); an entry kept only for lineage is rebuilt, since someone will read it.</summary>
    public void AddHandle(ObjectId id)
    {
        if (_entries.TryGetValue(id, out var entry))
        {
            lock (entry)
            {
                entry.Handles++;
            }

            if (entry.TakeReleased() is { } lineage)
            {
                Drain(new LineageWork(this, entry, lineage, Rerun: true));
            }
        }
    }

    /// <summary>A release or rerun of lineage, done in a loop rather than by recursion: freeing the last result of a
    /// long chain releases its ancestors one by one, and rebuilding it reruns them one by one; recursion would take a
    /// stack frame per step.</summary>
    private readonly record struct LineageWork(ObjectTable Table, ObjectEntry? Entry, ILineage Lineage, bool Rerun);

    [ThreadStatic]
    private static Stack<LineageWork>? t_work;

    [ThreadStatic]
    private static bool t_draining;

    /// <summary>Does <paramref name="work"/> and whatever it leads to; nested calls on this thread only queue theirs.</summary>
    private static void Drain(LineageWork work)
    {
        var stack = t_work ??= new Stack<LineageWork>();
        stack.Push(work);
        if (t_draining)
        {
            return;
        }

        t_draining = true;
        try
        {
            while (stack.TryPop(out var next))
            {
                if (next.Rerun)
                {
                    next.Table.RerunReleased(next.Entry!, next.Lineage);
                }
                else
                {
                    next.Table.ReleaseOne(next.Lineage);
                }
            }
        }
        finally
        {
            t_draining = false;
            stack.Clear();
        }
    }

    private void RerunReleased(ObjectEntry entry, ILineage lineage)
    {
        if (!lineage.TryRerun(out var reason))
        {
            entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost,
                $"Object {entry.Id} was released while only the lineage of other objects needed it, and cannot be rebuilt now: {reason}."));
        }
    }

    /// <summary>Gives <paramref name="entry"/> the task that makes it, and counts that lineage on the task's object
    /// arguments this table owns (they stay rebuildable while it lives: <see cref="ObjectEntry.LineageRefs"/>).</summary>
    public void AttachLineage(ObjectEntry entry, ILineage lineage)
    {
        entry.SetLineage(lineage);
        foreach (var arg in lineage.Arguments)
        {
            if (arg.IsRef && _entries.TryGetValue(arg.RefId, out var argument))
            {
                lock (argument)
                {
                    argument.LineageRefs++;
                }
            }
        }
    }

    /// <summary>A lineage is gone (its object was freed, or turned out inline or failed): its task lets go of its
    /// arguments, and arguments nothing else needs are freed.</summary>
    public void ReleaseLineage(ILineage lineage)
    {
        if (lineage.Arguments.Length == 0)
        {
            return; // nothing counted, nothing held: the common task's result completes without this work
        }

        Drain(new LineageWork(this, null, lineage, Rerun: false));
    }

    private void ReleaseOne(ILineage lineage)
    {
        lineage.ReleaseArgumentHandles(this);
        foreach (var arg in lineage.Arguments)
        {
            if (!arg.IsRef || !_entries.TryGetValue(arg.RefId, out var argument))
            {
                continue;
            }

            bool unreferenced;
            lock (argument)
            {
                unreferenced = --argument.LineageRefs <= 0 && argument.Handles <= 0;
                if (unreferenced && !argument.IsComplete && !argument.IsValueReleased)
                {
                    argument.Orphaned = true; // still being made: dropped when it completes
                    unreferenced = false;
                }
            }

            if (unreferenced)
            {
                Unreferenced(argument);
            }
        }
    }

    /// <summary>A handle died (finalized or disposed): free the object when it was the last.</summary>
    public void ReleaseHandle(ObjectId id)
    {
        if (!_entries.TryGetValue(id, out var entry))
        {
            return;
        }

        bool remove;
        lock (entry)
        {
            remove = --entry.Handles <= 0;
            if (remove && !entry.IsComplete && !entry.IsValueReleased)
            {
                // Still being produced: keep it so the producer and any waiter find it, drop it on completion.
                entry.Orphaned = true;
                remove = false;
            }
        }

        if (remove)
        {
            Unreferenced(entry);
        }
    }

    /// <summary>No handle refers to <paramref name="entry"/> any more: it is removed and its copies freed, unless the
    /// lineage of other objects still needs it; then only a stored value is released (rebuilt if ever needed again).</summary>
    private void Unreferenced(ObjectEntry entry)
    {
        bool keep;
        lock (entry)
        {
            if (entry.Handles > 0)
            {
                return; // a handle came back meanwhile
            }

            keep = entry.LineageRefs > 0;
        }

        if (keep)
        {
            if (entry.ReleaseValue() is { } released)
            {
                FreeCopies(released);
            }

            return;
        }

        if (!_entries.TryRemove(new KeyValuePair<ObjectId, ObjectEntry>(entry.Id, entry)))
        {
            return; // removed already
        }

        FreeStored(entry);
        if (entry.TakeLineage() is { } lineage)
        {
            ReleaseLineage(lineage);
        }
    }

    /// <summary>Called after an entry completes: drops it if nobody holds it any more.</summary>
    public void DropIfOrphaned(ObjectEntry entry)
    {
        bool remove;
        lock (entry)
        {
            remove = entry.Orphaned && entry.Handles <= 0;
        }

        if (remove)
        {
            // A stored result completes after its producer already asked (and maybe dropped the pending entry): free
            // the store's copy whenever an orphan is complete, once.
            Unreferenced(entry);
        }
    }

    /// <summary>Frees every object (the worker is shutting down): waiters get <paramref name="error"/>.</summary>
    public void Clear(RayError error)
    {
        ClearedWith = error;
        _cleared = true;
        foreach (var entry in _entries.Values)
        {
            entry.TrySetError(error);
            FreeStored(entry);
        }

        _entries.Clear();
    }

    /// <summary>This runtime's endpoint once it is in a cluster: refs it creates carry it.</summary>
    public Grains.INodeEndpoint? Endpoint { get; set; }

    /// <summary>Called with a freed stored object whose copies other nodes may hold (the runtime tells them to delete
    /// theirs); null when this runtime is alone.</summary>
    public Action<StoredObject>? FreedElsewhere { get; set; }

    /// <summary>Keeps an object alive for <paramref name="grace"/> while a serialized ref to it travels.</summary>
    public void PinForTransit(ObjectId id, TimeSpan grace)
    {
        if (!_entries.ContainsKey(id))
        {
            return;
        }

        AddHandle(id);
        _ = ReleaseLaterAsync(id, grace);
    }

    private async Task ReleaseLaterAsync(ObjectId id, TimeSpan grace)
    {
        await Task.Delay(grace).ConfigureAwait(false);
        ReleaseHandle(id);
    }

    /// <summary>Frees every copy of <paramref name="stored"/>, an object this table no longer holds (a copy made after it
    /// was freed: a rerun's return nobody needed).</summary>
    public void FreeStray(StoredObject stored)
    {
        if (!_entries.ContainsKey(stored.Id))
        {
            FreeCopies(stored);
        }
    }

    /// <summary>Frees the copies that are left of <paramref name="lost"/>, an object whose primary copy went with its
    /// node and that failed as lost: the copies other nodes pulled to read it would otherwise stay in their stores, since
    /// a failed entry frees nothing when its refs go.</summary>
    public void FreeLostCopies(StoredObject lost) => FreeCopies(lost);

    private void FreeStored(ObjectEntry entry)
    {
        if (entry.TakeStoredForDelete() is not { } stored)
        {
            return;
        }

        FreeCopies(stored);
    }

    /// <summary>Deletes this store's copy (the primary when it was put here, else a secondary pulled here, if any),
    /// then every other node's: Ray frees every copy when the owner frees the object.</summary>
    private void FreeCopies(StoredObject stored)
    {
        Store?.Delete(LocalObjectStore.ToStoreId(stored.Id));
        FreedElsewhere?.Invoke(stored);
    }
}
