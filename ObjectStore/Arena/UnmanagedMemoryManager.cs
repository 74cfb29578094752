using System.Buffers;

namespace OrleansRay.ObjectStore.Arena;

/// <summary>Exposes a region of the mapped arena as <see cref="Memory{T}"/> (for async socket I/O and public Memory views).</summary>
/// <remarks>The memory is only valid while the region is pinned in the store and the mapping is alive.</remarks>
internal sealed unsafe class UnmanagedMemoryManager<T> : MemoryManager<T>
    where T : unmanaged
{
    private readonly T* _pointer;
    private readonly int _length;

    public UnmanagedMemoryManager(T* pointer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _pointer = pointer;
        _length = length;
    }

    public override Span<T> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin()
    {
        // Mapped memory never moves.
    }

    protected override void Dispose(bool disposing)
    {
        // The mapping owns the memory.
    }
}
