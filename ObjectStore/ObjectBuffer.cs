using System.Runtime.CompilerServices;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Client;

namespace OrleansRay;

/// <summary>A read-only, zero-copy view of an array object. The object stays pinned (never evicted, spilled or freed)
/// until the buffer is disposed; do not use the span afterwards.</summary>
/// <typeparam name="T">The unmanaged element type.</typeparam>
/// <remarks>
/// For an object in the node's object store the view points into the store's shared memory. The runtime also wraps
/// values it holds in managed memory (small inline objects) in the same type. Dispose is idempotent and thread-safe.
/// </remarks>
public sealed class ObjectBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly ReadOnlyMemory<T> _memory;
    private IDisposable? _pin;
    private object? _keepAlive;
    private int _disposed;

    /// <summary>Wraps memory the caller keeps valid until <paramref name="pin"/> is disposed (the runtime's constructor for inline values).</summary>
    internal ObjectBuffer(ReadOnlyMemory<T> memory, IDisposable? pin, object? keepAlive)
    {
        _memory = memory;
        _pin = pin;
        _keepAlive = keepAlive;
    }

    /// <summary>The elements.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public ReadOnlySpan<T> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _memory.Span;
        }
    }

    /// <summary>The elements as memory (valid until disposal).</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public ReadOnlyMemory<T> Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _memory;
        }
    }

    /// <summary>Number of elements.</summary>
    public int Length => _memory.Length;

    /// <summary>Size in bytes.</summary>
    public long ByteLength => (long)_memory.Length * Unsafe.SizeOf<T>();

    /// <summary>Unpins the object.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _pin, null)?.Dispose();
        _keepAlive = null;
    }

    /// <summary>A view of a pinned store object; disposing it releases the pin through <paramref name="owner"/>.</summary>
    internal static unsafe ObjectBuffer<T> FromStore(StoreObjectId id, ObjectStore.Storage.ObjectLocation location, T* pointer, int length, IPinOwner owner) =>
        new(new UnmanagedMemoryManager<T>(pointer, length).Memory, new StorePin(id, location, owner), keepAlive: null);
}
