namespace OrleansRay.Node;

/// <summary>The lines bound for one driver from this node (<see cref="TaskOutputForwarder"/>): bounded, and sent by one
/// pump at a time, at once when the queue was idle, and while a batch is on its way to the driver the lines written
/// meanwhile gather into the next (flush at once when idle, batch under load: a task that prints a line and returns has
/// its line on the way before its result).</summary>
/// <remarks>Beyond <see cref="MaxQueuedLines"/> lines (or <see cref="MaxQueuedChars"/> characters) are dropped and
/// counted, and the next batch tells the driver how many (nothing is lost silently); a batch that cannot be sent counts
/// as dropped too, and the pump waits <see cref="RetryInterval"/> before the next. The pump runs on the thread pool,
/// started by the first line of an empty queue and ending when the queue is empty.</remarks>
internal sealed class DriverOutputQueue
{
    /// <summary>Lines held for one driver at most, the backlog of tasks that print faster than their driver receives (or
    /// of a driver that cannot be reached) a node holds before it drops: 100,000 lines.</summary>
    public const int MaxQueuedLines = 100_000;

    /// <summary>Characters held for one driver at most (8 Mi characters, 16 MiB as UTF-16), whatever the line count.</summary>
    public const int MaxQueuedChars = 8 << 20;

    /// <summary>Lines in one batch at most: a chatty task's lines go in messages of tens of KiB, not one per line.</summary>
    public const int MaxBatchLines = 1_000;

    /// <summary>Characters of text in one batch at most (64 KiB as UTF-16), so a batch stays a small message.</summary>
    public const int MaxBatchChars = 32 * 1024;

    /// <summary>How long the pump waits after a batch could not be sent (or the driver could not be looked up) before it
    /// tries again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    private readonly object _gate = new();
    private readonly Queue<TaskOutputLine> _lines = new();
    private readonly TaskOutputForwarder _forwarder;
    private readonly WorkerId _driver;
    private int _chars;
    private int _dropped;
    private bool _pumping;
    private bool _closed;
    private Func<TaskOutputBatch, Task>? _send;

    /// <summary>Lines queued since the queue was made, and lines whose batch has since been sent or failed: a drain
    /// waits until the second reaches what the first was when it began (<see cref="DrainAsync"/>).</summary>
    private long _queuedTotal;
    private long _doneTotal;

    /// <summary>Completed when a batch's send ended or the queue closed; made by a <see cref="DrainAsync"/> that waits.</summary>
    private TaskCompletionSource? _progress;

    public DriverOutputQueue(TaskOutputForwarder forwarder, WorkerId driver)
    {
        _forwarder = forwarder;
        _driver = driver;
    }

    /// <summary>Queues <paramref name="line"/>, or counts it dropped when the queue is full.</summary>
    public void Add(TaskOutputLine line)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (_lines.Count >= MaxQueuedLines || _chars + line.Text.Length > MaxQueuedChars)
            {
                _dropped++;
                return;
            }

            _lines.Enqueue(line);
            _queuedTotal++;
            _chars += line.Text.Length;
            if (!_pumping)
            {
                _pumping = true;
                // Not on the writer's flow: the pump must not hold the task's context (job code's must be collectible).
                ThreadPool.UnsafeQueueUserWorkItem(static queue => _ = queue.PumpAsync(), this, preferLocal: false);
            }
        }
    }

    /// <summary>Drops what is queued and everything added later (the driver's job ended, or it wants no output).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _lines.Clear();
            _chars = 0;
            Progressed();
        }
    }

    /// <summary>Waits until the lines queued when it is called have been sent, for at most <paramref name="deadline"/>
    /// (lines queued later, by work still printing, are not waited for). A batch that could not be sent counts as
    /// dropped.</summary>
    /// <returns>The lines not delivered: those still queued or on their way when the deadline passed, else those
    /// dropped and not yet told to the driver (the caller tells it; the next batch no longer does). 0 when the queue
    /// closed (its job ended). A deadline of zero only looks: the lines queued or on their way now, drops left untold.</returns>
    public async Task<int> DrainAsync(TimeSpan deadline)
    {
        long target;
        lock (_gate)
        {
            target = _queuedTotal;
            if (deadline <= TimeSpan.Zero)
            {
                return _closed ? 0 : (int)Math.Min(int.MaxValue, target - _doneTotal); // a look: what is on its way now
            }
        }

        var started = _forwarder.Time.GetTimestamp();
        while (true)
        {
            Task progress;
            TimeSpan left;
            lock (_gate)
            {
                if (_closed)
                {
                    return 0;
                }

                if (_doneTotal >= target)
                {
                    var untold = _dropped;
                    _dropped = 0;
                    return untold;
                }

                left = deadline - _forwarder.Time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return (int)Math.Min(int.MaxValue, target - _doneTotal);
                }

                progress = (_progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            try
            {
                await progress.WaitAsync(left, _forwarder.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Looked at once more above: what is still undelivered then is the answer.
            }
        }
    }

    /// <summary>Wakes the waits of <see cref="DrainAsync"/>; under <see cref="_gate"/>.</summary>
    private void Progressed()
    {
        _progress?.TrySetResult();
        _progress = null;
    }

    private bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    private async Task PumpAsync()
    {
        var failed = false;
        while (true)
        {
            if (failed)
            {
                await Task.Delay(RetryInterval, _forwarder.Time).ConfigureAwait(false);
            }

            failed = false;
            if (_send is null && !IsClosed)
            {
                try
                {
                    _send = await _forwarder.FindDriverAsync(_driver).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    TaskOutputForwarder.LogLookupFailed(_forwarder.Logger, _driver, ex.Message);
                    failed = true;
                    continue;
                }

                if (_send is null)
                {
                    Close(); // the driver wants no output (or is not a connected driver's job)
                }
            }

            if (TakeBatch() is not { } batch)
            {
                return;
            }

            try
            {
                await _send!(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The driver is gone or stuck: these lines count as dropped, and the next batch says so.
                TaskOutputForwarder.LogSendFailed(_forwarder.Logger, _driver, ex.Message, batch.Lines.Length);
                lock (_gate)
                {
                    _dropped += batch.Lines.Length + batch.Dropped;
                }

                failed = true;
            }
            finally
            {
                lock (_gate)
                {
                    _doneTotal += batch.Lines.Length;
                    Progressed();
                }
            }
        }
    }

    /// <summary>The next batch and the drop count since the last; null, and the pump stops, when there is nothing to
    /// send or the queue is closed.</summary>
    private TaskOutputBatch? TakeBatch()
    {
        lock (_gate)
        {
            if (_closed || (_lines.Count == 0 && _dropped == 0))
            {
                _pumping = false;
                return null;
            }

            var lines = new List<TaskOutputLine>(Math.Min(_lines.Count, MaxBatchLines));
            var chars = 0;
            while (_lines.Count > 0 && lines.Count < MaxBatchLines && (lines.Count == 0 || chars + _lines.Peek().Text.Length <= MaxBatchChars))
            {
                var line = _lines.Dequeue();
                chars += line.Text.Length;
                lines.Add(line);
            }

            _chars -= chars;
            var dropped = _dropped;
            _dropped = 0;
            var (pid, ip) = _forwarder.Origin;
            return new TaskOutputBatch(pid, ip, [.. lines], dropped);
        }
    }
}
