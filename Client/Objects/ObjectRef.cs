using OrleansRay.Grains;
using OrleansRay.Node;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>A reference to an object in the cluster: a task's result or a put value. The base of <see cref="ObjectRef{T}"/>, for mixed lists.</summary>
/// <remarks>
/// Serializable (pass it to tasks, keep it in actors, put it inside other objects). The object lives while a ref to it
/// lives: when the last ref in the owner's process is collected or disposed, the object is freed.
/// <para>Deliberately not [Immutable]: Orleans hands immutable values over as the same instance, and a ref is a counted
/// handle, not a value. Every copy (a value put, returned, or passed in this process) and every deserialized ref is a
/// reference of its own, so disposing one never frees the object under another (Ray's semantics).</para>
/// </remarks>
[GenerateSerializer, Alias("orleansray.ObjectRef")]
public abstract class ObjectRef : IEquatable<ObjectRef>, IDisposable, IBorrowedRef
{
    /// <summary>How long serializing a ref keeps its object alive for the receiver to register as a borrower.</summary>
    internal static readonly TimeSpan TransitGrace = TimeSpan.FromSeconds(60);

    /// <summary>What this handle counts on until it is disposed or collected: the owner's <see cref="ObjectTable"/>
    /// (a handle in the owner's process), or the owner's <see cref="INodeEndpoint"/> (a borrow); null once released.
    /// One field for both, since a ref is one or the other: a ref is made for every task and put.</summary>
    [NonSerialized]
    private object? _hold;

    /// <summary>The entry this ref reads without its owner's table. A borrowed ref: the local entry its owner's answer
    /// completes (<see cref="Borrowed"/>), null before the first read. An owner's ref: null while the table holds the
    /// entry; <see cref="DetachableMark"/> for the one ref a submit or put returns, until its first read or its first
    /// share; <see cref="BusyMark"/> while a read takes the entry out or a share puts it back; the entry itself while
    /// this ref holds it alone (<see cref="DetachAfterRead"/>). One field for both, so a ref is no larger than before.</summary>
    [NonSerialized]
    private ObjectEntry? _entry;

    /// <summary>Marks of <see cref="_entry"/> (never an object's entry).</summary>
    private static readonly ObjectEntry DetachableMark = new(default);
    private static readonly ObjectEntry BusyMark = new(default);

    /// <summary>Reads this ref: its owner's reader when the owner is in this process, else the reader of the runtime
    /// that received it (a borrower); null when neither (the ref crossed to a process with no runtime).</summary>
    [NonSerialized]
    private ObjectReader? _reader;

    private protected ObjectRef(ObjectId id, WorkerId owner, ObjectReader? ownerReader, bool detachable)
    {
        Id = id;
        Owner = owner;
        _reader = ownerReader;
        _hold = ownerReader?.Objects;
        OwnerEndpoint = ownerReader?.Objects.Endpoint;
        if (detachable && ownerReader is not null)
        {
            _entry = DetachableMark;
        }
    }

    /// <summary>In the owner's process: the entry this ref holds alone (<see cref="DetachAfterRead"/>), or null, when its
    /// owner's table has it. Waits out a detach or share in progress (a few instructions).</summary>
    internal ObjectEntry? DetachedEntry
    {
        get
        {
            var entry = Volatile.Read(ref _entry);
            if (entry is null || ReferenceEquals(entry, DetachableMark))
            {
                return null;
            }

            var spin = new SpinWait();
            while (ReferenceEquals(entry, BusyMark))
            {
                spin.SpinOnce(sleep1Threshold: -1);
                entry = Volatile.Read(ref _entry);
            }

            return entry is null || ReferenceEquals(entry, DetachableMark) ? null : entry;
        }
    }

    /// <summary>After the first read of this ref's complete entry in its owner's process, or the first look of a wait that
    /// finds it complete (<see cref="WaitAnswer"/>: a ready ref a wait looked at is as good as read): a ref made by its owner's submit
    /// or put, never shared, takes the entry out of the owner's table when nothing else can look it up by id
    /// (<see cref="ObjectTable.TryDetach"/>), and stops being counted by its finalizer. Its entry, value and the ref
    /// itself then die with the ref, young, instead of each surviving a collection (the finalizer's, then the table's
    /// release): a submit-then-get loop's garbage (ADR 0026). Nothing changes for the caller:
    /// reads go on finding the entry through the ref (<see cref="ObjectResolver.Find"/>).</summary>
    internal void DetachAfterRead(ObjectEntry entry)
    {
        if (!ReferenceEquals(Volatile.Read(ref _entry), DetachableMark)
            || !ReferenceEquals(Interlocked.CompareExchange(ref _entry, BusyMark, DetachableMark), DetachableMark))
        {
            return;
        }

        // Before the entry leaves the table: a share meanwhile waits for the mark to go, so the registration it makes is
        // the last word.
        GC.SuppressFinalize(this);
        if (_hold is ObjectTable table && ReferenceEquals(entry.Table, table) && table.TryDetach(entry))
        {
            Volatile.Write(ref _entry, entry);
            return;
        }

        GC.ReRegisterForFinalize(this);
        Volatile.Write(ref _entry, null);
    }

    /// <summary>Before this ref is shared (passed to a task or an actor, serialized, copied) or disposed: the entry it
    /// holds alone, if any, goes back to its owner's table, where the receiver finds it by id, and the ref is counted by
    /// its finalizer again. It never detaches after this.</summary>
    internal void Share()
    {
        if (Volatile.Read(ref _entry) is not null)
        {
            ShareSlow();
        }
    }

    private void ShareSlow()
    {
        if (IsBorrowed)
        {
            return; // the field is the borrower's entry
        }

        var spin = new SpinWait();
        while (true)
        {
            var entry = Volatile.Read(ref _entry);
            if (entry is null)
            {
                return;
            }

            if (ReferenceEquals(entry, BusyMark))
            {
                spin.SpinOnce(sleep1Threshold: -1); // a read is deciding right now, or another share putting it back
                continue;
            }

            if (ReferenceEquals(entry, DetachableMark))
            {
                if (ReferenceEquals(Interlocked.CompareExchange(ref _entry, null, DetachableMark), DetachableMark))
                {
                    return; // it never left the table
                }

                continue;
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _entry, BusyMark, entry), entry))
            {
                entry.Table!.Reinsert(entry); // before the mark goes: a concurrent read waits for it, then finds the table's
                GC.ReRegisterForFinalize(this);
                Volatile.Write(ref _entry, null);
                return;
            }
        }
    }

    /// <summary>The reader of this ref in this process (see <see cref="_reader"/>).</summary>
    internal ObjectReader? Reader => _reader;

    /// <summary>True when the runtime of this process that reads this ref (its owner, or the borrower it crossed to) has
    /// shut down and is not <paramref name="reader"/>: another runtime of the process (two <c>Ray.InitAsync()</c>, the
    /// first one's <c>IRay</c> disposed) is given a ref whose owner is gone.</summary>
    internal bool HeldByShutDownRuntime(ObjectReader reader) =>
        _reader is { Objects.IsCleared: true } held && !ReferenceEquals(held, reader);

    /// <summary>An entry failed as lost, for a ref <see cref="HeldByShutDownRuntime"/>: its owner died (Ray's
    /// OwnerDiedError, what a driver of a CLI cluster gets for a ref of a driver that exited), or, for a borrowed ref,
    /// the runtime it was read through did.</summary>
    internal ObjectEntry LostWithItsRuntime()
    {
        var message = IsBorrowed
            ? $"Object {Id} was received by an OrleansRay instance of this process that has shut down (its IRay was disposed), and cannot be read through it: pass refs on through a live IRay."
            : BorrowedFetch.OwnerDied(Id, string.Empty);
        var entry = new ObjectEntry(Id);
        entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, message));
        return entry;
    }

    /// <summary>True when this process borrows the object from an owner in another process.</summary>
    internal bool IsBorrowed => _reader is { } reader && reader.Owner != Owner;

    /// <summary>The owner's endpoint, so a process other than the owner's can read the object and borrow it.</summary>
    [Id(2)] internal INodeEndpoint? OwnerEndpoint { get; private set; }

    /// <summary>In a borrowing process: the local entry the owner's answer completes (created at the first read, which
    /// <paramref name="reader"/>, the borrowing runtime's, starts).</summary>
    internal ObjectEntry Borrowed(ObjectReader reader)
    {
        var entry = Volatile.Read(ref _entry);
        if (entry is not null)
        {
            return entry;
        }

        entry = new ObjectEntry(Id);
        if (Interlocked.CompareExchange(ref _entry, entry, null) is { } raced)
        {
            return raced;
        }

        reader.FetchBorrowed(entry, new BorrowedOwner(OwnerEndpoint!, Owner));
        return entry;
    }

    /// <summary>This ref's entry in its owner's <paramref name="table"/>, or the entry it holds alone (<see
    /// cref="DetachAfterRead"/>); false when neither has it (the object was released). Looks at the ref, the table, the
    /// ref, the table: a read may take the entry out after the first look and a share put it back before the third; a
    /// shared ref never takes it out again, so the fourth look is the last one needed. A borrowed ref's field is its
    /// borrower's entry, so for it only the table counts.</summary>
    internal bool TryFindOwned(ObjectTable table, out ObjectEntry entry)
    {
        if (!IsBorrowed && DetachedEntry is { } alone)
        {
            entry = alone; // held by this ref alone since its first read
            return true;
        }

        if (table.TryGet(Id, out entry))
        {
            return true;
        }

        if (!IsBorrowed && DetachedEntry is { } late)
        {
            entry = late;
            return true;
        }

        return table.TryGet(Id, out entry);
    }

    bool IBorrowedRef.TryBorrow(ObjectReader reader, out ObjectEntry entry)
    {
        if (HeldByShutDownRuntime(reader))
        {
            entry = LostWithItsRuntime(); // the owner's objects went with it: fail the task now, as a dead owner's would
            return true;
        }

        if (!IsBorrowed && DetachedEntry is { } alone)
        {
            entry = alone; // a ref held in this process by the owner's code that read it
            return true;
        }

        if (reader.Owners.TryGet(Owner, out var owner))
        {
            // Another runtime of this process owns it (several nodes in one process): its entry is right here.
            return TryFindOwned(owner.Objects, out entry);
        }

        if (OwnerEndpoint is null)
        {
            entry = null!;
            return false;
        }

        entry = Borrowed(reader);
        return true;
    }

    internal static void OnSerializing(ObjectRef value)
    {
        value.Share();
        if (value._hold is ObjectTable { Endpoint: not null } table)
        {
            table.PinForTransit(value.Id, TransitGrace);
        }
    }

    /// <summary>A reference of its own to <paramref name="value"/>'s object, typed <c>ObjectRef&lt;object&gt;</c>: what a
    /// packed value carries to keep the refs inside it counted (its element type may be a job's type, which must not
    /// meet a node's own serializer).</summary>
    internal static ObjectRef Untyped(ObjectRef value, ObjectReader? local)
    {
        value.Share();
        var copy = new ObjectRef<object>(value.Id, value.Owner, ownerReader: null, detachable: false) { OwnerEndpoint = value.OwnerEndpoint };
        OnDeserialized(copy, local ?? value._reader);
        return copy;
    }

    /// <summary>A ref rebuilt in this process (deserialized, or deep-copied by Orleans' copier): count it as a handle
    /// of its own at its owner, or as a borrower when the owner is another process.</summary>
    /// <param name="value">The ref.</param>
    /// <param name="local">The reader of the runtime of the process (silo or client) that rebuilt it, if it has one.</param>
    internal static void OnDeserialized(ObjectRef value, ObjectReader? local)
    {
        if (local is null)
        {
            return;
        }

        if (local.Owners.TryGet(value.Owner, out var owner))
        {
            // Back home (or at another runtime of this process): a handle like any other.
            owner.Objects.AddHandle(value.Id);
            value._hold = owner.Objects;
            value._reader = owner;
            return;
        }

        if (value.OwnerEndpoint is { } endpoint)
        {
            value._reader = local;
            value._hold = endpoint;
            local.Borrows.Add(endpoint, value.Id);
        }
    }

    /// <summary>The object's id.</summary>
    [Id(0)] public ObjectId Id { get; private set; }

    /// <summary>The worker that owns the object (its submitter).</summary>
    [Id(1)] public WorkerId Owner { get; private set; }

    /// <summary>Releases this handle now instead of when it is collected. Reading through it afterwards is undefined.</summary>
    public void Dispose()
    {
        Share(); // a detached entry goes back, to be released below like any other
        Release(Interlocked.Exchange(ref _hold, null));
        GC.SuppressFinalize(this);
    }

    /// <summary>Counts the handle out when it is collected (Ray's Java API does the same with a cleaner).</summary>
    ~ObjectRef() => Release(_hold);

    private void Release(object? hold)
    {
        if (hold is ObjectTable table)
        {
            table.ReleaseHandle(Id);
        }
        else if (hold is INodeEndpoint owner)
        {
            _reader?.Borrows.Remove(owner, Id);
        }
    }

    /// <inheritdoc />
    public bool Equals(ObjectRef? other) => other is not null && other.Id == Id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ObjectRef other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Id.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"ObjectRef({Id})";
}
