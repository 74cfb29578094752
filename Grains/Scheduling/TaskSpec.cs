using OrleansRay.Execution;
using OrleansRay.Ownership;
using OrleansRay.Placement;

namespace OrleansRay.Scheduling;

/// <summary>A submitted task on its owner's node: function, arguments, resource shape and its return object.</summary>
internal sealed class TaskSpec : IPendingWork, ICancellableWork
{
    public const int Waiting = 0, Queued = 1, Running = 2, Done = 3;

    private CancellationTokenSource? _cancellation;
    private volatile int _state;

    public TaskSpec(TaskId id, CompiledFunction function, TaskArg[] args, ResourceSet resources, ObjectEntry result, SchedulerEngine engine)
    {
        Id = id;
        Function = function;
        Args = args;
        Resources = resources;
        Result = result;
        Engine = engine;
    }

    public TaskId Id { get; }

    public CompiledFunction Function { get; }

    public TaskArg[] Args { get; }

    public ResourceSet Resources { get; }

    public ObjectEntry Result { get; }

    public SchedulerEngine Engine { get; }

    public string? Name { get; init; }

    public int MaxRetries { get; init; } = 3;

    public bool RetryExceptions { get; init; }

    /// <summary>Where the owner wants it to run (Ray's scheduling strategy).</summary>
    public PlacementHint Placement { get; init; } = PlacementHint.Default;

    /// <summary>Set on the node running a task for another owner: where its result goes. Such a task is never placed
    /// again by this node (the owner decided), and its result entry is not in this node's object table.</summary>
    public Grains.INodeEndpoint? ReplyTo { get; init; }

    public bool IsForeign => ReplyTo is not null;

    /// <summary>On the owner: the task was sent to another node at least once (counted once).</summary>
    public bool SentElsewhere;

    /// <summary>On the owner: the node running this task now, when it is not this one.</summary>
    public volatile RemoteNode? RemoteNode;

    /// <summary>Stopwatch timestamp of the moment the task was queued ready to run (scheduling latency).</summary>
    public long ReadyAt;

    /// <summary>Stopwatch timestamp of the current attempt's start (for the task event log).</summary>
    public long StartedAt;

    /// <summary>Attempts started so far.</summary>
    public int Attempt;

    /// <summary>Object arguments not yet available.</summary>
    public int PendingDependencies;

    public volatile bool Cancelled;

    /// <summary>The lease running this task now, if it runs.</summary>
    public Lease? RunningLease;

    public int State
    {
        get => _state;
        set => _state = value;
    }

    public string DisplayName => Name ?? Function.DisplayName;

    /// <summary>Signalled when the task is cancelled (what RayContext.CancellationToken returns inside the task).</summary>
    public CancellationToken CancellationToken
    {
        get
        {
            if (_cancellation is null)
            {
                Interlocked.CompareExchange(ref _cancellation, new CancellationTokenSource(), null);
                if (Cancelled)
                {
                    _cancellation.Cancel();
                }
            }

            return _cancellation.Token;
        }
    }

    public void Cancel(bool force)
    {
        Cancelled = true;
        Result.TrySetError(RayError.Create(RayErrorKind.Cancelled, $"Task {DisplayName} ({Id}) was cancelled.", DisplayName));
        Volatile.Read(ref _cancellation)?.Cancel();
        if (State == Queued)
        {
            Engine.RemoveQueued(this);
        }

        if (force)
        {
            RunningLease?.Abandon(this);
        }

        RemoteNode?.Cancel(Id, force);
    }
}
