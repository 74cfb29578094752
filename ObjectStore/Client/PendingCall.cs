using System.Threading.Tasks.Sources;

namespace OrleansRay.ObjectStore.Client;

/// <summary>One request in flight on a <see cref="SocketChannel"/>: a reusable awaitable and a reusable reply buffer.</summary>
/// <remarks>
/// Pooled: a call costs no Task and no reply array. Exactly one party completes it, the one that removes it from the
/// channel's pending table (the reply loop, a cancellation, or the loop's failure). The caller reads the reply after
/// the await and returns the call to the pool.
/// </remarks>
internal sealed class PendingCall : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private byte[] _reply = new byte[128];
    private CancellationTokenRegistration _cancellation;

    public uint RequestId { get; set; }

    /// <summary>What was asked (a cancelled get or reserve gives back what its reply grants).</summary>
    public Protocol.Opcode Op { get; set; }

    /// <summary>The get's ids or the reservation's block size.</summary>
    public object? Context { get; set; }

    /// <summary>The channel to tell when the caller's token is cancelled.</summary>
    public SocketChannel? Owner { get; set; }

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Reply => _reply.AsSpan(0, Length);

    public ValueTask Task => new(this, _core.Version);

    public void Watch(CancellationTokenRegistration registration) => _cancellation = registration;

    public void Complete(ReadOnlySpan<byte> reply)
    {
        if (reply.Length > _reply.Length)
        {
            _reply = new byte[Math.Max(reply.Length, _reply.Length * 2)];
        }

        reply.CopyTo(_reply);
        Length = reply.Length;
        _core.SetResult(true);
    }

    public void Fail(Exception exception) => _core.SetException(exception);

    /// <summary>Ready for the next request (called by the pool once the caller is done with the reply).</summary>
    public void Reset()
    {
        _cancellation.Dispose();
        _cancellation = default;
        Context = null;
        Length = 0;
        if (_reply.Length > 4096)
        {
            _reply = new byte[128]; // a large reply (a batch get) does not pin its buffer in the pool
        }

        _core.Reset();
    }

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
