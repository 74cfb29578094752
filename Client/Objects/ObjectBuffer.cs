namespace OrleansRay;

/// <summary>A read-only, zero-copy view of an array object. The object stays pinned (never evicted or freed) until
/// the buffer is disposed; do not use the span afterwards.</summary>
/// <typeparam name="T">The unmanaged element type.</typeparam>
public sealed class ObjectBuffer<T> : IDisposable where T : unmanaged
{
    private readonly ReadOnlyMemory<T> _memory;
    private IDisposable? _pin;
    private object? _keepAlive;
    private bool _disposed;

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
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _memory.Span;
        }
    }

    /// <summary>The elements as memory (valid until disposal).</summary>
    public ReadOnlyMemory<T> Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _memory;
        }
    }

    /// <summary>Number of elements.</summary>
    public int Length => _memory.Length;

    /// <summary>Unpins the object.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Exchange(ref _pin, null)?.Dispose();
        _keepAlive = null;
    }
}
