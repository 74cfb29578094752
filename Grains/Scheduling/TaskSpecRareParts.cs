using OrleansRay.Ownership;

namespace OrleansRay.Scheduling;

/// <summary>The parts of a spec that most tasks leave at their defaults (its rarely set fields, made on first write).</summary>
internal sealed class TaskSpecRareParts
{
    public ObjectEntry[]? OtherReturns;
    public string? Name;
    public ExceptionRetry? RetryExceptions;
    public PlacementHint Placement = PlacementHint.Default;
    public Grains.PlacementGroupMembership? Group;
    public Grains.INodeEndpoint? ReplyTo;
    public bool DriverOwned;
    public IGeneratorSink? Generator;
    public bool SentElsewhere;
    public volatile IRemoteAttempt? RemoteNode;
    public int ArgumentRecoveries;

    /// <summary>Sends that never reached their node (no connection to it) so far.</summary>
    public int UndeliveredSends;

    /// <summary>1 while a rerun holds a handle on each of its owned object arguments (taken by
    /// <see cref="ILineage.TryRerun"/>, given back when the rerun is done).</summary>
    public int RerunHandles;

    /// <summary>Made when the task's code first asks for its token (<see cref="TaskSpec.CancellationToken"/>).</summary>
    public CancellationTokenSource? Cancellation;

    public CancellationTokenSource? CancellationSource => Volatile.Read(ref Cancellation);

    /// <summary>1 once the cancelled task's row is in the finished-task log (<see cref="TaskSpec.TryClaimCancelledRecord"/>).</summary>
    public int CancelRecorded;

    /// <summary>The tasks its code submitted (<see cref="TaskChildren"/>), made with the first.</summary>
    public TaskChildren? Children;

    /// <summary>The context of the current attempt, made when its code first asks (<see cref="TaskSpec.ForNewAttempt"/>).</summary>
    public Execution.TaskContext? Context;
}
