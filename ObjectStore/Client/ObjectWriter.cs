using System.Runtime.InteropServices;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Client;

namespace OrleansRay.ObjectStore;

/// <summary>A created, not yet sealed object: write its bytes in place in shared memory, then <see cref="SealAsync"/>.</summary>
/// <remarks>Disposing an unsealed writer aborts the object and frees its memory. Readers wait until the seal.</remarks>
public sealed class ObjectWriter : IAsyncDisposable
{
    private readonly ObjectStoreClient _client;
    private readonly nint _pointer;
    private readonly int _length;
    private int _state; // 0 open, 1 sealed, 2 aborted

    internal ObjectWriter(ObjectStoreClient client, StoreObjectId id, nint pointer, int length)
    {
        _client = client;
        Id = id;
        _pointer = pointer;
        _length = length;
    }

    public StoreObjectId Id { get; }

    /// <summary>The object's size in bytes.</summary>
    public int Length => _length;

    /// <summary>The object's bytes, writable until sealed.</summary>
    public unsafe Span<byte> Span
    {
        get
        {
            ThrowIfClosed();
            return new Span<byte>((byte*)_pointer, _length);
        }
    }

    /// <summary>The object's bytes as memory (for async writers such as a socket receive), writable until sealed.</summary>
    public unsafe Memory<byte> Memory
    {
        get
        {
            ThrowIfClosed();
            return new UnmanagedMemoryManager<byte>((byte*)_pointer, _length).Memory;
        }
    }

    /// <summary>The object's bytes as elements of <typeparamref name="T"/> (the size must be a multiple of its size).</summary>
    public Span<T> GetSpan<T>()
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(Span);

    /// <summary>Makes the object immutable and visible to readers.</summary>
    public async ValueTask SealAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException($"Object {Id} is already sealed or aborted.");
        }

        await _client.Channel.SealAsync(Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Abandons the object if it is not sealed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
        {
            await _client.Channel.AbortAsync(Id).ConfigureAwait(false);
        }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _state) != 0)
        {
            throw new InvalidOperationException($"Object {Id} is sealed or aborted; it can no longer be written.");
        }
    }
}
