using System.Runtime.InteropServices;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Protocol;

namespace OrleansRay.ObjectStore.Storage;

/// <summary>A session's read leases: which sealed objects its client may read again without asking the store.</summary>
/// <remarks>
/// The words (<see cref="LeaseWord"/>) live in a small shared file the client maps; everything else is the store's
/// and is guarded by the store's table lock. A live lease holds one pin on its object (counted in
/// <see cref="StoredObject.Pins"/>), so the object is neither freed, evicted nor spilled under the client's readers.
/// The store revokes a lease when the object is deleted, when it needs the room, or when the table is full;
/// closing the session drops every lease with it (the client may be dead, its words are then ignored).
/// </remarks>
internal sealed unsafe class LeaseTable : IDisposable
{
    public const int Slots = 4096;
    public const int Bytes = Slots * sizeof(long);

    private readonly ArenaMapping? _file;
    private readonly long* _words;
    private readonly StoredObject?[] _objects = new StoredObject?[Slots];
    private readonly long[] _generations = new long[Slots];
    private readonly Stack<int> _free = new(Enumerable.Range(0, Slots).Reverse());
    private int _cursor;
    private int _disposed;

    private LeaseTable(ArenaMapping? file, long* words)
    {
        _file = file;
        _words = words;
    }

    /// <summary>The shared file the client maps (owner-only, next to the arena).</summary>
    public string Path => _file?.Path ?? "";

    public int Count => Slots - _free.Count;

    public static LeaseTable CreateShared(string directory)
    {
        var file = ArenaMapping.Create(directory, Bytes, prefault: false);
        return new LeaseTable(file, (long*)file.Pointer);
    }

    /// <summary>A table in this process's memory (tests of the store core).</summary>
    public static LeaseTable CreatePrivate() => new(null, (long*)NativeMemory.AllocZeroed(Bytes));

    public ref long Word(int slot) => ref _words[slot];

    public StoredObject? ObjectAt(int slot, long generation) =>
        (uint)slot < Slots && _generations[slot] == generation ? _objects[slot] : null;

    public long GenerationOf(int slot) => _generations[slot];

    /// <summary>Grants a free slot for <paramref name="entry"/> with one reader; false when every slot is taken.</summary>
    public bool TryGrant(StoredObject entry, out int slot, out long generation)
    {
        if (!_free.TryPop(out slot))
        {
            generation = 0;
            return false;
        }

        generation = (_generations[slot] + 1) & LeaseWord.MaxGeneration;
        _generations[slot] = generation;
        _objects[slot] = entry;
        Volatile.Write(ref _words[slot], LeaseWord.Granted(generation));
        return true;
    }

    /// <summary>Forgets a finalized lease; the slot may be granted again (with a new generation).</summary>
    public void Free(int slot)
    {
        _objects[slot] = null;
        _free.Push(slot);
    }

    /// <summary>Slots whose leases are idle (no reader), scanning at most <paramref name="limit"/> from a rotating cursor.</summary>
    public IEnumerable<int> IdleSlots(int limit)
    {
        for (var i = 0; i < limit; i++)
        {
            var slot = _cursor;
            _cursor = (_cursor + 1) % Slots;
            if (_objects[slot] is not null && LeaseWord.IsIdle(Volatile.Read(ref Word(slot)), _generations[slot]))
            {
                yield return slot;
            }
        }
    }

    /// <summary>Every slot with a lease (finalized or not), for closing the session.</summary>
    public IEnumerable<(int Slot, StoredObject Entry)> Active()
    {
        for (var slot = 0; slot < Slots; slot++)
        {
            if (_objects[slot] is { } entry)
            {
                yield return (slot, entry);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_file is not null)
        {
            _file.Dispose();
        }
        else
        {
            NativeMemory.Free(_words);
        }
    }
}
