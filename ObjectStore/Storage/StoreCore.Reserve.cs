using OrleansRay.ObjectStore.Arena;

namespace OrleansRay.ObjectStore.Storage;

/// <summary>Write-behind puts: blocks reserved for one client, which fills them and seals them in batches (docs/adr/0020-store-fast-path.md).</summary>
internal sealed partial class StoreCore
{
    /// <summary>The largest block a client may reserve: write-behind is for small objects.</summary>
    public const int MaxReservedBlock = 4096;

    /// <summary>Reserves up to <paramref name="count"/> free blocks of <paramref name="alignedSize"/> bytes for the session,
    /// without evicting or waiting (an empty answer sends the client back to acknowledged puts).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size that is not a multiple of the alignment in 64..4096, or count outside 1..1024.</exception>
    public long[] Reserve(StoreSession session, long alignedSize, int count)
    {
        if (alignedSize <= 0 || alignedSize > MaxReservedBlock || alignedSize % ArenaAllocator.Alignment != 0 || count is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(alignedSize), $"Reserve: {count} blocks of {alignedSize} bytes; blocks are a multiple of {ArenaAllocator.Alignment} up to {MaxReservedBlock}, 1..1024 at a time.");
        }

        lock (_lock)
        {
            ThrowIfDisposing();
            ThrowIfClosed(session);

            // Never more than a quarter of the free room: reservations must not crowd out other clients' objects.
            var limit = (int)Math.Min(count, _allocator.FreeBytes / 4 / alignedSize);
            var offsets = new List<long>(limit);
            while (offsets.Count < limit && _allocator.TryAllocate(alignedSize, out var offset))
            {
                session.Reserved.Add(offset, alignedSize);
                offsets.Add(offset);
            }

            return offsets.ToArray();
        }
    }

    /// <summary>Seals an object its client wrote into a block it reserved: the object appears sealed, as after create + seal.</summary>
    /// <exception cref="InvalidOperationException">The block is not reserved by this client, or too small for the size.</exception>
    /// <exception cref="ObjectAlreadyExistsException">The id exists (the block is freed).</exception>
    public void SealReserved(StoreSession session, StoreObjectId id, long offset, long size, bool primary)
    {
        lock (_lock)
        {
            ThrowIfDisposing();
            ThrowIfClosed(session);
            if (!session.Reserved.TryGetValue(offset, out var block) || size <= 0 || ArenaAllocator.AlignedSize(size) != block)
            {
                throw new InvalidOperationException($"Object {id}: block {offset} of {size} bytes is not a block this client reserved for that size.");
            }

            session.Reserved.Remove(offset);
            if (_table.ContainsKey(id))
            {
                _allocator.Free(offset, block);
                SignalMemoryLocked();
                throw new ObjectAlreadyExistsException($"Object {id} already exists in the store; the write-behind put of it was dropped.");
            }

            var entry = new StoredObject(id, size, primary) { State = ObjectState.Sealed, Block = offset, LastUse = ++_clock };
            _table.Add(id, entry);
            ForgetDeletedLocked(id);
            AddToLruLocked(entry);
            if (_sealWaiters.Remove(id, out var waiter))
            {
                waiter.Signal.TrySetResult();
            }
        }
    }

    private void FreeReservedLocked(StoreSession session)
    {
        foreach (var (offset, block) in session.Reserved)
        {
            _allocator.Free(offset, block);
        }

        session.Reserved.Clear();
    }

    private long ReservedBytesLocked()
    {
        long bytes = 0;
        foreach (var session in _sessions)
        {
            foreach (var block in session.Reserved.Values)
            {
                bytes += block;
            }
        }

        return bytes;
    }
}
