using OrleansRay.Ownership;

namespace OrleansRay.Execution;

/// <summary>Waits for several objects at once: until enough of them are complete, or (for a Get) until any one fails.</summary>
/// <remarks>
/// One callback per pending entry, all taken back when the wait ends however it ends (enough, failure, timeout,
/// cancellation), so a waiter that gives up leaves nothing registered: polling <c>WaitAsync(..., TimeSpan.Zero)</c> stays
/// flat. Inside a task the task's resources are handed back while it waits (Ray does the same, so nested tasks cannot
/// deadlock a full node). Callbacks run on the completing thread and only count; the waiter resumes asynchronously.
/// </remarks>
internal sealed class ObjectWaiter
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<ObjectEntry> _onComplete;
    private readonly bool _stopOnFailure;
    private int _missing;

    private ObjectWaiter(int missing, bool stopOnFailure)
    {
        _missing = missing;
        _stopOnFailure = stopOnFailure;
        _onComplete = OnEntryComplete;
    }

    /// <summary>Waits until <paramref name="needed"/> of <paramref name="entries"/> are complete, or, with
    /// <paramref name="stopOnFailure"/>, until any of them fails. False when <paramref name="timeout"/> passed first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public static async Task<bool> WaitAsync(IReadOnlyList<ObjectEntry> entries, int needed, bool stopOnFailure, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var pending = new List<ObjectEntry>();
        foreach (var entry in entries)
        {
            if (!entry.IsComplete)
            {
                pending.Add(entry);
            }
            else if (stopOnFailure && entry.IsFailed)
            {
                return true;
            }
        }

        var missing = needed - (entries.Count - pending.Count);
        if (missing <= 0)
        {
            return true;
        }

        foreach (var entry in pending)
        {
            entry.Producer?.Hurry(); // work held for a driver that runs it itself: this waiter does not
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (timeout == TimeSpan.Zero)
        {
            return false; // a poll: nothing to register
        }

        var waiter = new ObjectWaiter(missing, stopOnFailure);
        var registered = 0;
        var context = TaskContext.Current;
        var slot = context?.Slot;
        var released = false;
        try
        {
            foreach (var entry in pending)
            {
                entry.OnComplete(waiter._onComplete); // runs inline if the entry completed since the count above
                registered++;
            }

            if (waiter._done.Task.IsCompleted)
            {
                return true;
            }

            if (slot is not null)
            {
                released = slot.ReleaseWhileBlocked(context!.Work);
            }

            var wait = timeout is { } limit ? waiter._done.Task.WaitAsync(limit, cancellationToken) : waiter._done.Task.WaitAsync(cancellationToken);
            try
            {
                await wait.ConfigureAwait(false);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
        finally
        {
            if (released)
            {
                slot!.ReacquireAfterBlocked(context!.Work);
            }

            for (var i = 0; i < registered; i++)
            {
                pending[i].RemoveOnComplete(waiter._onComplete);
            }
        }
    }

    /// <summary>The wait for one entry when it needs none of <see cref="WaitAsync"/>'s machinery (no timeout, no
    /// cancellation, and no task resources to hand back while blocked: a driver's get): the entry's own completion task,
    /// or null when the full wait is needed. Either way the entry's producer, if held for a driver to run, is let go to
    /// a worker thread (<see cref="Ownership.IPendingWork.Hurry"/>): this waiter does not run it.</summary>
    public static Task? PlainWait(ObjectEntry entry, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (!entry.IsComplete)
        {
            entry.Producer?.Hurry(); // work held for a driver that runs it itself: this waiter does not
        }

        return timeout is null && !cancellationToken.CanBeCanceled && TaskContext.Current?.Slot is null ? entry.WhenComplete() : null;
    }

    /// <summary>Waits for one object; false when <paramref name="timeout"/> passed first. Completes synchronously when
    /// the object is already complete.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public static ValueTask<bool> WaitOneAsync(ObjectEntry entry, TimeSpan? timeout, CancellationToken cancellationToken) =>
        entry.IsComplete ? new ValueTask<bool>(true) : new ValueTask<bool>(WaitAsync([entry], 1, stopOnFailure: false, timeout, cancellationToken));

    private void OnEntryComplete(ObjectEntry entry)
    {
        if ((_stopOnFailure && entry.IsFailed) || Interlocked.Decrement(ref _missing) <= 0)
        {
            _done.TrySetResult();
        }
    }
}
