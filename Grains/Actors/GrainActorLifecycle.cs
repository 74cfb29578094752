namespace OrleansRay.Actors;

/// <summary>The lifecycle of an actor behind a grain interface as its grain activation sees it: waiting for its
/// resources, alive in a generation (each kill with restart starts one), or dead with a cause.</summary>
/// <remarks>
/// Shared in-process between the actor's host mailbox, which owns the lifecycle (resources, restarts, kill, death with
/// its job), and the <c>ActorGrain</c> activation on the same node, which serves the calls. Thread-safe.
/// </remarks>
internal sealed class GrainActorLifecycle
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource<bool> _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _generationEnd = new();
    private volatile int _generation;
    private volatile RayError? _death;
    private long _callsRun;

    /// <summary>Calls the grain activations of this actor have admitted (the dashboard's "calls run").</summary>
    public long CallsRun => Interlocked.Read(ref _callsRun);

    /// <summary>Counts one admitted call.</summary>
    public void CallRun() => Interlocked.Increment(ref _callsRun);

    /// <summary>Completes with true once the actor is alive (its resources held), false if it died first.</summary>
    public Task<bool> Settled => _settled.Task;

    /// <summary>The current generation and why the actor died (null while it lives), without a lock: what each call checks.</summary>
    public (int Generation, RayError? Death) State => (_generation, _death);

    /// <summary>The current generation, why the actor died (null while it lives), and a token cancelled when this
    /// generation ends (restart or death).</summary>
    public (int Generation, RayError? Death, CancellationToken End) Current
    {
        get
        {
            lock (_gate)
            {
                return (_generation, _death, _generationEnd.Token);
            }
        }
    }

    /// <summary>The actor holds its resources and may serve calls.</summary>
    public void Alive() => _settled.TrySetResult(true);

    /// <summary>A kill with restart: the generation ends (its activation goes; the next one starts from a fresh instance).</summary>
    public void Restarted()
    {
        CancellationTokenSource ended;
        lock (_gate)
        {
            if (_death is not null)
            {
                return;
            }

            ended = _generationEnd;
            _generationEnd = new CancellationTokenSource();
            _generation++;
        }

        Cancel(ended);
    }

    /// <summary>The actor died for good: every later call fails with <paramref name="cause"/>.</summary>
    public void Died(RayError cause)
    {
        CancellationTokenSource ended;
        lock (_gate)
        {
            if (_death is not null)
            {
                return;
            }

            _death = cause;
            ended = _generationEnd;
        }

        _settled.TrySetResult(false);
        Cancel(ended);
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException)
        {
            // A callback of the ended activation threw; the generation ended all the same.
        }
    }
}
