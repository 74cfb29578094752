namespace OrleansRay;

/// <summary>The actor behind a <see cref="RayQueue{T}"/>: a FIFO of items with an optional bound, whose takes and puts
/// wait asynchronously (no thread held) for up to the time the caller allows.</summary>
/// <remarks>
/// Runs with a high MaxConcurrency (<see cref="RayQueue{T}.ActorConcurrency"/>) so that waiting calls do not hold up the
/// others; its state is therefore guarded by a lock. Items are kept as the objects the calls carried: the queue does
/// not need to know their type. A waiter is woken by any change and re-checks; no item is ever handed to a waiter that
/// is not running, so a call that ends (time out, cancelled) loses nothing.
/// Its static methods are the calls <see cref="RayQueue{T}"/> sends (a non-generic class, so that the remote methods
/// resolve on every node by their metadata token).
/// </remarks>
internal sealed class QueueActor
{
    private readonly object _lock = new();
    private readonly Queue<object?> _items = new();
    private readonly int _maxSize;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public QueueActor(int maxSize)
    {
        _maxSize = maxSize;
    }

    public static int Size(QueueActor queue) => queue.Count();

    /// <summary>Takes <paramref name="count"/> items once that many are there, waiting up to <paramref name="wait"/>;
    /// an empty array when they were not there in time (or the call was cancelled).</summary>
    public static Task<object?[]> Take(QueueActor queue, int count, TimeSpan wait) => queue.TakeAsync(count, wait);

    /// <summary>Adds all of <paramref name="items"/> once there is room for all of them, waiting up to
    /// <paramref name="wait"/>; false when there was not room in time (or the call was cancelled).</summary>
    public static Task<bool> Put(QueueActor queue, object?[] items, TimeSpan wait) => queue.PutAsync(items, wait);

    private int Count()
    {
        lock (_lock)
        {
            return _items.Count;
        }
    }

    private async Task<object?[]> TakeAsync(int count, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        var cancel = RayContext.CancellationToken;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_items.Count >= count)
                {
                    var taken = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        taken[i] = _items.Dequeue();
                    }

                    SignalLocked();
                    return taken;
                }

                changed = _changed.Task;
            }

            if (!await WaitAsync(changed, deadline, cancel).ConfigureAwait(false))
            {
                return [];
            }
        }
    }

    private async Task<bool> PutAsync(object?[] items, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        var cancel = RayContext.CancellationToken;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_maxSize == 0 || _items.Count + items.Length <= _maxSize)
                {
                    foreach (var item in items)
                    {
                        _items.Enqueue(item);
                    }

                    SignalLocked();
                    return true;
                }

                changed = _changed.Task;
            }

            if (!await WaitAsync(changed, deadline, cancel).ConfigureAwait(false))
            {
                return false;
            }
        }
    }

    /// <summary>Waits for the next change until <paramref name="deadline"/>; false when the time is up or the call was
    /// cancelled (its caller then looks no more).</summary>
    private static async Task<bool> WaitAsync(Task changed, DateTime deadline, CancellationToken cancel)
    {
        var left = deadline - DateTime.UtcNow;
        if (left <= TimeSpan.Zero || cancel.IsCancellationRequested)
        {
            return false;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var timer = Task.Delay(left, stop.Token);
        // Completes when the change comes, the time is up or the call is cancelled; never faults.
        await Task.WhenAny(changed, timer).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        return changed.IsCompleted;
    }

    private void SignalLocked()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
