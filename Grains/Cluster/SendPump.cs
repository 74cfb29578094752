namespace OrleansRay.Cluster;

/// <summary>Batches items for one destination: one message in flight at a time, carrying everything queued meanwhile.</summary>
/// <remarks>
/// The hot path's batching rule (ARCHITECTURE.md): at high rates a batch grows while the previous one travels; at low
/// rates an item leaves at once. Sends start on a thread-pool thread, never the caller's: the caller may be a worker
/// thread whose user code is about to block.
/// </remarks>
internal sealed class SendPump<T>
{
    /// <summary>Makes the pump of one destination.</summary>
    public delegate SendPump<T> Factory(RemoteNode node);

    private const int MaxBatch = 4096;
    private readonly object _gate = new();
    private readonly Func<T[], Task> _send;
    private readonly Action<T[], Exception> _failed;
    private List<T> _queue = new();
    private bool _sending;

    public SendPump(Func<T[], Task> send, Action<T[], Exception> failed)
    {
        _send = send;
        _failed = failed;
    }

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

        ThreadPool.UnsafeQueueUserWorkItem(static pump => _ = pump.SendLoopAsync(), this, preferLocal: false);
    }

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

        ThreadPool.UnsafeQueueUserWorkItem(static pump => _ = pump.SendLoopAsync(), this, preferLocal: false);
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
                    _queue = new List<T>();
                }
                else
                {
                    batch = _queue.GetRange(0, MaxBatch).ToArray();
                    _queue.RemoveRange(0, MaxBatch);
                }
            }

            try
            {
                await _send(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _failed(batch, ex);
            }
        }
    }
}
