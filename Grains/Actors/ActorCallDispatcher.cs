namespace OrleansRay.Actors;

/// <summary>Dispatches an actor's calls to the node's worker threads: with MaxConcurrency 1 a single drain loop runs
/// them one at a time in order; above 1, each runs on its own worker thread, up to that many at once (Ray's threaded
/// actors). Shares its mailbox's lock; a new instance (restart) gets a new drain loop.</summary>
internal sealed class ActorCallDispatcher
{
    private readonly ActorMailbox _mailbox;
    private readonly ActorServices _services;
    private readonly object _gate;
    private readonly ActorCallQueues _queues;
    private int _running;
    private bool _draining;
    private bool _dirty;

    public ActorCallDispatcher(ActorMailbox mailbox, ActorServices services, object gate, ActorCallQueues queues)
    {
        _mailbox = mailbox;
        _services = services;
        _gate = gate;
        _queues = queues;
    }

    /// <summary>Under the lock: calls running or a drain loop active (for the mailbox's pending count).</summary>
    public int InFlightLocked => _running + (_draining ? 1 : 0);

    /// <summary>Under the lock: the instance ended; its running calls were given up and its drain loop stops when the
    /// user code it is in returns.</summary>
    public void ResetLocked()
    {
        _draining = false;
        _running = 0;
    }

    /// <summary>Starts running calls if the actor is alive, something can run, and concurrency allows.</summary>
    public void Pump()
    {
        var max = _mailbox.MaxConcurrency;
        if (max == 1)
        {
            int drainGeneration;
            lock (_gate)
            {
                // _dirty tells a running drain loop to look again before it stops (an argument became ready meanwhile).
                _dirty = true;
                if (_draining || !_mailbox.IsAliveLocked)
                {
                    return;
                }

                _draining = true;
                drainGeneration = _mailbox.GenerationLocked;
            }

            _ = _services.Pool.Run(() => DrainAsync(drainGeneration));
            return;
        }

        while (true)
        {
            ActorCall? call;
            int generation;
            lock (_gate)
            {
                if (!_mailbox.IsAliveLocked || _running >= max || !_queues.TryTake(out call))
                {
                    return;
                }

                _running++;
                generation = _mailbox.GenerationLocked;
            }

            _ = _services.Pool.Run(async () =>
            {
                await ActorCallExecution.ExecuteAsync(_mailbox, _services, call!, generation).ConfigureAwait(false);
                lock (_gate)
                {
                    // A call of an ended instance was already given up and its count reset.
                    if (generation == _mailbox.GenerationLocked)
                    {
                        _running--;
                    }
                }

                Pump();
            });
        }
    }

    private async Task DrainAsync(int generation)
    {
        while (true)
        {
            ActorCall? call;
            lock (_gate)
            {
                while (true)
                {
                    if (generation != _mailbox.GenerationLocked)
                    {
                        // The instance this loop served is gone; the next instance has its own loop.
                        return;
                    }

                    if (!_mailbox.IsAliveLocked)
                    {
                        _draining = false;
                        return;
                    }

                    _dirty = false;
                    if (_queues.TryTake(out call))
                    {
                        break;
                    }

                    if (!_dirty)
                    {
                        _draining = false;
                        return;
                    }
                }
            }

            var run = ActorCallExecution.ExecuteAsync(_mailbox, _services, call!, generation);
            if (!run.IsCompletedSuccessfully)
            {
                await run.ConfigureAwait(false);
            }
        }
    }
}
