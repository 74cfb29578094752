using System.Runtime.CompilerServices;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Client;

namespace OrleansRay;

/// <summary>A zero-copy, read-only view of an object in the node's shared-memory object store.</summary>
/// <remarks>
/// The object stays pinned in the store (never evicted, spilled or freed) until the buffer is disposed;
/// <see cref="Span"/> and <see cref="Memory"/> must not be used after that. Dispose is idempotent and thread-safe.
/// </remarks>
public sealed unsafe class ObjectBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly T* _pointer;
    private readonly int _length;
    private IPinOwner? _owner;
    private UnmanagedMemoryManager<T>? _memory;

    internal ObjectBuffer(StoreObjectId id, T* pointer, int length, IPinOwner owner)
    {
        Id = id;
        _pointer = pointer;
        _length = length;
        _owner = owner;
    }

    /// <summary>The object's id in the store.</summary>
    public StoreObjectId Id { get; }

    /// <summary>Number of elements of <typeparamref name="T"/>.</summary>
    public int Length => _length;

    /// <summary>The object's size in bytes.</summary>
    public long ByteLength => (long)_length * sizeof(T);

    /// <summary>The elements, in place in shared memory.</summary>
    public ReadOnlySpan<T> Span
    {
        get
        {
            ThrowIfDisposed();
            return new ReadOnlySpan<T>(_pointer, _length);
        }
    }

    /// <summary>The elements as memory (for async APIs), in place in shared memory.</summary>
    public ReadOnlyMemory<T> Memory
    {
        get
        {
            ThrowIfDisposed();
            return (_memory ??= new UnmanagedMemoryManager<T>(_pointer, _length)).Memory;
        }
    }

    /// <summary>Releases the pin.</summary>
    public void Dispose()
    {
        var owner = Interlocked.Exchange(ref _owner, null);
        owner?.ReleasePin(Id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_owner is null, this);
}
