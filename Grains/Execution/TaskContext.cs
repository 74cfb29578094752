using OrleansRay.Node;
namespace OrleansRay.Execution;

/// <summary>What code running inside a task or actor method can ask about where it runs.</summary>
internal sealed class TaskContext
{
    private static readonly AsyncLocal<TaskContext?> CurrentSlot = new();
    private readonly CancellationToken _cancellationToken;
    private Actors.ActorCaller? _caller;

    public TaskContext(NodeRuntime runtime, string functionName, CancellationToken cancellationToken, Scheduling.Lease? lease)
    {
        Runtime = runtime;
        FunctionName = functionName;
        _cancellationToken = cancellationToken;
        Lease = lease;
    }

    /// <summary>The context of the task or actor call running on this async flow, if any.</summary>
    public static TaskContext? Current
    {
        get => CurrentSlot.Value;
        set => CurrentSlot.Value = value;
    }

    public NodeRuntime Runtime { get; }

    public string FunctionName { get; }

    public CancellationToken CancellationToken => Spec?.CancellationToken ?? _cancellationToken;

    /// <summary>The worker lease of a running task (null in actor methods): released while the task blocks in a Get.</summary>
    public Scheduling.Lease? Lease { get; }

    /// <summary>The task running, when this is a task (not an actor call).</summary>
    public Scheduling.TaskSpec? Spec { get; init; }

    /// <summary>The submitter of the actor calls this code makes: given for an actor's methods (the instance is one
    /// submitter), else made on first use (each run of a task is its own submitter, as in Ray).</summary>
    public Actors.ActorCaller Caller
    {
        get => Volatile.Read(ref _caller) ?? Interlocked.CompareExchange(ref _caller, Actors.ActorCaller.New(), null) ?? _caller!;
        init => _caller = value;
    }
}
