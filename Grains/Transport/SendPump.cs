namespace OrleansRay.Transport;

/// <summary>Batches items for one destination: one message in flight at a time, carrying everything queued meanwhile.</summary>
/// <remarks>
/// The hot path's batching rule (ARCHITECTURE.md): at high rates a batch grows while the previous one travels; at low
/// rates an item leaves at once. Sends start on a thread-pool thread, never the caller's: the caller may be a worker
/// thread whose user code is about to block.
/// A batch whose send fails for a reason of its items (one that cannot be serialized, say) is split in halves and each
/// half sent again, down to single items: only the bad items reach the failure handler, their neighbours go through.
/// </remarks>
internal sealed class SendPump<T>
{

    private const int MaxBatch = 4096;
    private readonly object _gate = new();
    private readonly Func<T[], Task> _send;
    private readonly Action<T[], Exception> _failed;
    private List<T> _queue = new();
    private bool _sending;

    private readonly bool _alwaysOnThreadPool;

    /// <param name="send">Sends one batch.</param>
    /// <param name="failed">Handles a batch whose send threw.</param>
    /// <param name="alwaysOnThreadPool">Never send on the caller's thread (callers such as finalizers must not run
    /// Orleans' send path).</param>
    public SendPump(Func<T[], Task> send, Action<T[], Exception> failed, bool alwaysOnThreadPool = false)
    {
        _send = send;
        _failed = failed;
        _alwaysOnThreadPool = alwaysOnThreadPool;
    }

    /// <summary>Queues one item; it leaves with the next batch.</summary>
    public void Enqueue(T item)
    {
        lock (_gate)
        {
            _queue.Add(item);
            if (_sending)
            {
                return;
            }

            _sending = true;
        }

        StartSending();
    }

    /// <summary>Starts the send loop: right here when the caller is not a worker thread (a driver's thread, an Orleans
    /// thread: one thread hand-off less per message), else on the thread pool (user code on a worker thread may block
    /// right after, and the send must not depend on that thread).</summary>
    private void StartSending()
    {
        if (_alwaysOnThreadPool || WorkerThreads.IsCurrent)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static pump => _ = pump.SendLoopAsync(), this, preferLocal: false);
        }
        else
        {
            _ = SendLoopAsync();
        }
    }

    /// <summary>Queues several items; they leave with the next batch.</summary>
    public void EnqueueRange(IEnumerable<T> items)
    {
        lock (_gate)
        {
            _queue.AddRange(items);
            if (_sending || _queue.Count == 0)
            {
                return;
            }

            _sending = true;
        }

        StartSending();
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            T[] batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _sending = false;
                    return;
                }

                if (_queue.Count <= MaxBatch)
                {
                    batch = _queue.ToArray();
                    if (_queue.Capacity <= MaxBatch)
                    {
                        _queue.Clear(); // kept: one allocation less per batch
                    }
                    else
                    {
                        _queue = new List<T>(); // a burst's large array is not held for good
                    }
                }
                else
                {
                    batch = _queue.GetRange(0, MaxBatch).ToArray();
                    _queue.RemoveRange(0, MaxBatch);
                }
            }

            // The send itself is awaited here, not through SendOrSplitAsync: one state machine less per batch.
            Exception? failure = null;
            try
            {
                await _send(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failure = ex;
            }

            if (failure is not null)
            {
                await SplitOrFailAsync(batch, failure).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends <paramref name="batch"/>; when that fails for a reason of its items, sends each half again (a
    /// failed batch never drops the items that were fine).</summary>
    private async Task SendOrSplitAsync(T[] batch)
    {
        try
        {
            await _send(batch).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await SplitOrFailAsync(batch, ex).ConfigureAwait(false);
        }
    }

    /// <summary>A send of <paramref name="batch"/> failed with <paramref name="failure"/>: a serialization fault of some
    /// items splits it in halves, sent again; any other failure goes to the failure handler whole.</summary>
    private async Task SplitOrFailAsync(T[] batch, Exception failure)
    {
        // Only a serialization failure can be the fault of some items (as for actor call batches); any other failure
        // is the destination's and goes to the failure handler whole.
        if (batch.Length > 1 && WireCheck.IsSerializationFault(failure))
        {
            var half = batch.Length / 2;
            await SendOrSplitAsync(batch[..half]).ConfigureAwait(false);
            await SendOrSplitAsync(batch[half..]).ConfigureAwait(false);
            return;
        }

        try
        {
            _failed(batch, failure);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failing failure handler must not stop the pump: the items queued after this batch still go.
        }
    }
}
