namespace OrleansRay.ObjectStore.Arena;

/// <summary>A best-fit allocator with immediate coalescing over the byte range [0, capacity) of the arena.</summary>
/// <remarks>
/// Not thread-safe: the store calls it under its table lock. Blocks are 64-byte aligned (a cache line, and
/// enough for any unmanaged element type a typed view may use). Free blocks live in two indexes: by
/// (size, offset) for best fit, which keeps large holes intact for large objects, and by start and end
/// offset so a freed block merges with both neighbours at once; fragmentation therefore never outlives
/// the objects that caused it.
/// </remarks>
internal sealed class ArenaAllocator
{
    /// <summary>Every block starts and ends on this boundary.</summary>
    public const long Alignment = 64;

    private readonly SortedSet<(long Size, long Offset)> _bySize = new();
    private readonly Dictionary<long, long> _freeByStart = new();
    private readonly Dictionary<long, long> _freeByEnd = new();

    public ArenaAllocator(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity - (capacity % Alignment);
        if (Capacity > 0)
        {
            AddFree(0, Capacity);
        }
    }

    public long Capacity { get; }

    public long UsedBytes { get; private set; }

    public long FreeBytes => Capacity - UsedBytes;

    public int FreeBlockCount => _freeByStart.Count;

    public long LargestFreeBlock => _bySize.Count == 0 ? 0 : _bySize.Max.Size;

    /// <summary>The block size used for a request of <paramref name="size"/> bytes.</summary>
    public static long AlignedSize(long size) => (size + Alignment - 1) & ~(Alignment - 1);

    /// <summary>Allocates a block of at least <paramref name="size"/> (&gt; 0) bytes; false when no free block is large enough.</summary>
    public bool TryAllocate(long size, out long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var need = AlignedSize(size);
        offset = -1;
        if (_bySize.Count == 0 || _bySize.Max.Size < need)
        {
            return false;
        }

        var best = _bySize.GetViewBetween((need, 0), (long.MaxValue, long.MaxValue)).Min;
        RemoveFree(best.Offset, best.Size);
        if (best.Size > need)
        {
            AddFree(best.Offset + need, best.Size - need);
        }

        offset = best.Offset;
        UsedBytes += need;
        return true;
    }

    /// <summary>Frees a block returned by <see cref="TryAllocate"/> for a request of <paramref name="size"/> bytes.</summary>
    public void Free(long offset, long size)
    {
        var length = AlignedSize(size);
        if (offset < 0 || offset % Alignment != 0 || length <= 0 || offset > Capacity - length)
        {
            throw new InvalidOperationException($"Freeing an invalid block [{offset}, +{length}).");
        }

        UsedBytes -= length;
        var start = offset;
        var end = offset + length;
        if (_freeByEnd.TryGetValue(start, out var previousStart))
        {
            RemoveFree(previousStart, start - previousStart);
            start = previousStart;
        }

        if (_freeByStart.TryGetValue(end, out var nextSize))
        {
            RemoveFree(end, nextSize);
            end += nextSize;
        }

        AddFree(start, end - start);
    }

    /// <summary>Checks the free-list invariants (used by tests and the stats consistency check).</summary>
    public long SumFreeBlocks()
    {
        long sum = 0;
        foreach (var (size, offset) in _bySize)
        {
            if (_freeByStart[offset] != size || _freeByEnd[offset + size] != offset)
            {
                throw new InvalidOperationException($"Free block [{offset}, +{size}) is inconsistent between indexes.");
            }

            sum += size;
        }

        return sum;
    }

    private void AddFree(long offset, long size)
    {
        _bySize.Add((size, offset));
        _freeByStart.Add(offset, size);
        _freeByEnd.Add(offset + size, offset);
    }

    private void RemoveFree(long offset, long size)
    {
        _bySize.Remove((size, offset));
        _freeByStart.Remove(offset);
        _freeByEnd.Remove(offset + size);
    }
}
