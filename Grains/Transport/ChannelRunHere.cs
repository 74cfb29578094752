namespace OrleansRay.Transport;

/// <summary>How a task channel's reader runs a lone task it was sent on its own thread instead of waking a worker
/// thread for it (ADR 0025, session 26 addendum), as a driver's get runs its own short task (ADR 0022): while the reader
/// hands a request to the node (<see cref="Begin"/> … <see cref="End"/>), the scheduler holds the lease of a task whose
/// function ran short last time instead of waking a worker (a deferred post), and the node offers the reader that
/// task's claim (<see cref="Offer"/>). The reader then lets another thread read the connection's next frames and runs
/// the task; if it does not come for it within a tick, a worker thread takes it. A lone call to an idle actor whose last
/// call was short is held and offered the same way: its mailbox's drain loop, for that one call (session 27).</summary>
/// <remarks>Thread statics: the reader sets them around one synchronous hand-off, and only code it calls on its own
/// thread reads them.</remarks>
internal static class ChannelRunHere
{
    [ThreadStatic]
    private static bool _submitting;

    [ThreadStatic]
    private static Func<bool>? _offered;

    /// <summary>True while a task channel's reader hands a request to the node on this thread.</summary>
    public static bool IsSubmitting => _submitting;

    /// <summary>Offers the reader the claim of a task it may run itself (the task's <c>TryRunHere</c>: false when a
    /// worker thread took it first). Ignored outside a hand-off.</summary>
    public static void Offer(Func<bool> tryRunHere)
    {
        if (_submitting)
        {
            _offered = tryRunHere;
        }
    }

    /// <summary>Starts a hand-off on this thread.</summary>
    public static void Begin()
    {
        _submitting = true;
        _offered = null;
    }

    /// <summary>Ends the hand-off; returns the claim the node offered, if any.</summary>
    public static Func<bool>? End()
    {
        _submitting = false;
        var offered = _offered;
        _offered = null;
        return offered;
    }
}
