using OrleansRay.Execution;
using OrleansRay.Ownership;

namespace OrleansRay.Scheduling;

/// <summary>A submitted task on its owner's node: function, arguments, resource shape and its return object.</summary>
/// <remarks>Its mutable state is written by the engine, the runner and the placer on different threads: the fields read
/// without a lock (<see cref="State"/>, <see cref="Cancelled"/>, and <see cref="RemoteNode"/> in the rarely set part,
/// which is published once by a compare-exchange) are volatile, and <see cref="PendingDependencies"/> stays a field
/// because it is counted down with <see cref="Interlocked"/>.</remarks>
internal sealed class TaskSpec : IPendingWork, ICancellableWork, ILineage, ITaskContextSource
{
    private volatile TaskState _state;
    private volatile bool _cancelled;

    /// <summary>What most tasks leave at their defaults (a name, several returns, a placement, another owner, a remote
    /// attempt, a cancellation token asked for, retries of sends and arguments), kept apart so that the spec of a plain
    /// task is small: one is made for every task. Made once, by the first writer (<see cref="Rare"/>).</summary>
    private TaskSpecRareParts? _rare;

    private TaskSpecRareParts Rare => Volatile.Read(ref _rare) ?? Interlocked.CompareExchange(ref _rare, new TaskSpecRareParts(), null) ?? _rare!;

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

    /// <summary>Returns 2..N of a task with several returns (Ray's <c>num_returns</c>; <see cref="Result"/> is return 1),
    /// each an object of its own; null for a task with one return. On a node running the task for another owner they
    /// are placeholders carrying the ids.</summary>
    public ObjectEntry[]? OtherReturns
    {
        get => _rare?.OtherReturns;
        init
        {
            if (value is not null)
            {
                Rare.OtherReturns = value;
            }
        }
    }

    /// <summary>How many return objects the task has (Ray's <c>num_returns</c>).</summary>
    public int NumReturns => OtherReturns is null ? 1 : OtherReturns.Length + 1;

    /// <summary>True once every return object is complete (a rerun for a lost return has nothing left to do).</summary>
    public bool ReturnsComplete => MultipleReturns.AllComplete(Result, OtherReturns);

    /// <summary>Completes the task's return objects from its outcome: <see cref="Result"/> alone, or each of several
    /// returns with its element (<see cref="MultipleReturns.Complete"/>); an error fails them all.</summary>
    public void CompleteReturns(object? value, RayError? error)
    {
        if (OtherReturns is { } others)
        {
            MultipleReturns.Complete(Result, others, value, error);
        }
        else
        {
            Result.TrySetResult(value, error);
        }
    }

    public SchedulerEngine Engine { get; }

    public string? Name
    {
        get => _rare?.Name;
        init
        {
            if (value is not null)
            {
                Rare.Name = value;
            }
        }
    }

    /// <summary>The submitting job's namespace (Ray: tasks run in their job's namespace), for the code it runs; null:
    /// the node's default.</summary>
    public string? Namespace => Job.Namespace;

    /// <summary>The job the task belongs to, by its driver's worker id (a nested task's is its parent's): when the job
    /// ends, its tasks are dropped or cancelled (<see cref="FinishedJobs"/>). Empty: no job's (a detached actor's work).</summary>
    public WorkerId JobDriver => Job.Driver;

    /// <summary>The job and namespace together (shared by the job's tasks): <see cref="JobDriver"/> and
    /// <see cref="Namespace"/> read it. Default: <see cref="JobScope.None"/>.</summary>
    public JobScope Job { get; init; } = JobScope.None;

    public int MaxRetries { get; init; } = 3;

    /// <summary>Which exceptions its function throws run it again (Ray's <c>retry_exceptions</c>); null: none.</summary>
    public ExceptionRetry? RetryExceptions
    {
        get => _rare?.RetryExceptions;
        init
        {
            if (value is not null)
            {
                Rare.RetryExceptions = value;
            }
        }
    }

    /// <summary>Where the owner wants it to run (Ray's scheduling strategy).</summary>
    public PlacementHint Placement
    {
        get => _rare?.Placement ?? PlacementHint.Default;
        init
        {
            if (!ReferenceEquals(value, PlacementHint.Default))
            {
                Rare.Placement = value;
            }
        }
    }

    /// <summary>The placement group the task runs in (its code's <c>RayContext.PlacementGroup</c>, and where its children go
    /// when it captures them): that of <see cref="Placement"/> at the owner; on a node running the task for another owner,
    /// the one sent with it (such a spec has no placement: the owner placed it).</summary>
    public Grains.PlacementGroupMembership? Group
    {
        get => _rare is { } rare ? rare.Group ?? rare.Placement.Group : null;
        init
        {
            if (value is not null)
            {
                Rare.Group = value;
            }
        }
    }

    /// <inheritdoc/>
    IReadOnlyList<int> Execution.ICancellableWork.GpuIds => LeaseResources.GpuIds(RunningLease);

    /// <summary>Set on the node running a task for another owner: where its result goes. Such a task is never placed
    /// again by this node (the owner decided), and its result entry is not in this node's object table.</summary>
    public Grains.INodeEndpoint? ReplyTo
    {
        get => _rare?.ReplyTo;
        init
        {
            if (value is not null)
            {
                Rare.ReplyTo = value;
            }
        }
    }

    public bool IsForeign => ReplyTo is not null;

    /// <summary>Set on the node running a task for another owner when that owner is the task's job's driver itself
    /// (<see cref="RemoteTask.DriverOwned"/>): its large results stored here are recorded as that driver's, and deleted
    /// when its job ends.</summary>
    public bool DriverOwned
    {
        get => _rare?.DriverOwned ?? false;
        init
        {
            if (value)
            {
                Rare.DriverOwned = true;
            }
        }
    }

    /// <summary>The driver whose large results stored here are recorded as its own (<see cref="DriverOwned"/>); empty
    /// when none are.</summary>
    public WorkerId ResultDriver => DriverOwned ? JobDriver : default;

    /// <summary>The lease queued on the worker pool with this task as its next one, until its loop starts (null
    /// otherwise): a driver waiting for this task may run it itself (<see cref="TryRunHere"/>).</summary>
    internal volatile Lease? QueuedLease;

    /// <inheritdoc />
    public bool TryRunHere() => QueuedLease is { } lease && Function.RanShortLastTime && Engine.Loops.TryRunHere(lease, this);

    /// <inheritdoc />
    public void Hurry()
    {
        if (QueuedLease is not null)
        {
            Engine.Loops.Hurry();
        }
    }

    /// <inheritdoc />
    public bool IsLoneLocal
    {
        get
        {
            if (IsForeign || SentElsewhere || State is not (TaskState.Queued or TaskState.Running))
            {
                return false;
            }

            return Engine.Counts.OwnedInFlight == 1;
        }
    }

    /// <summary>For a streaming generator task (Ray's <c>num_returns="streaming"</c>): where the items it yields go (the
    /// owner's stream, or a sender to the owner on the node running it for another owner); null for other tasks.</summary>
    public IGeneratorSink? Generator
    {
        get => _rare?.Generator;
        init
        {
            if (value is not null)
            {
                Rare.Generator = value;
            }
        }
    }

    /// <summary>On the owner: the task was sent to another node at least once (counted once).</summary>
    public bool SentElsewhere
    {
        get => _rare?.SentElsewhere ?? false;
        set
        {
            if (value || _rare is not null)
            {
                Rare.SentElsewhere = value;
            }
        }
    }

    /// <summary>On the owner: the node running this task's current attempt, when it is not this one.</summary>
    public IRemoteAttempt? RemoteNode
    {
        get => _rare?.RemoteNode;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.RemoteNode = value;
            }
        }
    }

    /// <summary>Stopwatch timestamp of the moment the task was queued ready to run (scheduling latency).</summary>
    public long ReadyAt { get; set; }

    /// <summary>Stopwatch timestamp of the current attempt's start (for the task event log).</summary>
    public long StartedAt { get; set; }

    /// <summary>Attempts started so far.</summary>
    public int Attempt { get; set; }

    /// <summary>Times the task was run again because an argument of it was lost and rebuilt (<see cref="ObjectRecovery"/>).</summary>
    public int ArgumentRecoveries
    {
        get => _rare?.ArgumentRecoveries ?? 0;
        set
        {
            if (value != 0 || _rare is not null)
            {
                Rare.ArgumentRecoveries = value;
            }
        }
    }

    /// <summary>How long a task whose send found no connection waits before it is placed again.</summary>
    public static readonly TimeSpan UndeliveredBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>A send of this task found no connection to its node: the task never ran there, so the attempt is taken
    /// back (Ray counts only attempts that ran) while such sends stay under 40 (10 s of <see cref="UndeliveredBackoff"/>:
    /// membership declares a dead node within seconds, and its tasks then go elsewhere).</summary>
    /// <returns>True when the attempt was taken back; false once the bound is reached (it counts then).</returns>
    public bool TakeBackUndeliveredAttempt()
    {
        if (++Rare.UndeliveredSends > 40)
        {
            return false;
        }

        Attempt--;
        return true;
    }

    /// <inheritdoc/>
    string ILineage.Description => "task " + DisplayName;

    /// <inheritdoc/>
    TaskArg[] ILineage.Arguments => Args;

    /// <inheritdoc/>
    bool ILineage.CanRerun => !Cancelled && Attempt <= MaxRetries;

    /// <inheritdoc/>
    void ILineage.ReleaseArgumentHandles(ObjectTable table) => TaskReruns.ReleaseArgumentHandles(this, table);

    /// <summary>Before running again: holds a handle on each object argument <paramref name="table"/> owns (rebuilding
    /// any kept only for lineage), until <see cref="ReleaseHeldArguments"/> when the run is done.</summary>
    public void HoldArguments(ObjectTable table) => TaskReruns.HoldArguments(this, table);

    /// <summary>The run is done: gives back the handles <see cref="HoldArguments"/> took (once).</summary>
    public void ReleaseHeldArguments(ObjectTable table) => TaskReruns.ReleaseHeldArguments(this, table);

    /// <inheritdoc/>
    bool ILineage.TryRerun(out string reason) => TaskReruns.TryRerun(this, out reason);

    /// <summary>The rarely set parts, made now if not yet (for <see cref="TaskReruns"/>).</summary>
    internal TaskSpecRareParts RareParts => Rare;

    /// <summary>The rarely set parts if any were set.</summary>
    internal TaskSpecRareParts? RarePartsIfAny => _rare;

    /// <summary>Object arguments not yet available (plus one while the engine registers for them). A field: the engine
    /// counts it down with <see cref="Interlocked.Decrement(ref int)"/> from the threads completing the arguments.</summary>
    public int PendingDependencies;

    /// <summary>True once <see cref="Cancel"/> was called; never reset.</summary>
    public bool Cancelled => _cancelled;

    /// <summary>The lease running this task now, if it runs here.</summary>
    public Lease? RunningLease { get; set; }

    /// <summary>This spec as the source of its next attempt's context (node code only, see
    /// <see cref="ITaskContextSource"/>): a context an earlier attempt's code asked for is dropped, so the next one is
    /// made for the new attempt.</summary>
    public ITaskContextSource ForNewAttempt()
    {
        if (_rare is { } rare)
        {
            Volatile.Write(ref rare.Context, null);
        }

        return this;
    }

    /// <summary>The running attempt's context, made when its code first asks (as the runner makes a job code's at the
    /// start): the node runtime as host, the attempt's lease as its slot (none once the attempt is over), this spec as
    /// its work.</summary>
    TaskContext ITaskContextSource.Context
    {
        get
        {
            var rare = Rare;
            return Volatile.Read(ref rare.Context)
                ?? Interlocked.CompareExchange(ref rare.Context, NewContext(), null)
                ?? rare.Context!;
        }
    }

    private TaskContext NewContext() =>
        new(Engine.Loops.Runner.Host ?? throw new InvalidOperationException("The task runner has no host to give a task's context."), DisplayName, CancellationToken.None, RunningLease)
        {
            Work = this,
            NumReturns = NumReturns,
            Generator = Generator,
            Job = Job,
        };

    string ITaskContextSource.FunctionName => DisplayName;

    TaskId ICancellableWork.TaskId => Id;

    int ICancellableWork.AttemptNumber => Math.Max(0, Attempt - 1);

    Grains.PlacementGroupMembership? ICancellableWork.Group => Group;

    /// <summary>Where the task is now.</summary>
    public TaskState State
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
            var rare = Rare;
            if (rare.Cancellation is null)
            {
                Interlocked.CompareExchange(ref rare.Cancellation, new CancellationTokenSource(), null);
                if (Cancelled)
                {
                    rare.Cancellation.Cancel();
                }
            }

            return rare.Cancellation.Token;
        }
    }

    /// <inheritdoc />
    public void Cancel(bool force, bool recursive) => Cancel(force, recursive, null);

    /// <summary>Cancels as <see cref="Cancel(bool, bool)"/> does, alone (not its children), the returns failing with
    /// <paramref name="reason"/> (null: "was cancelled"), e.g. the task's placement group was removed.</summary>
    public void Cancel(bool force, RayError? reason) => Cancel(force, recursive: false, reason);

    private void Cancel(bool force, bool recursive, RayError? reason)
    {
        var wasDone = State == TaskState.Done;
        var error = reason ?? RayError.Create(RayErrorKind.Cancelled, $"Task {DisplayName} ({Id}) was cancelled.", DisplayName);

        // The returns fail as cancelled before the task can see its cancellation: a task that starts now and throws on
        // its token must not complete them first with that exception (a RayTaskException instead of a cancel).
        CompleteReturns(null, error);
        _cancelled = true;
        Interlocked.MemoryBarrier(); // the flag before the look at the source, as the token's getter makes its source before it looks at the flag
        if (!wasDone && RemoteNode is null)
        {
            Engine.Loops.Runner.RecordCancelled(this, error); // listed FAILED now, whatever its code does afterwards
        }

        Volatile.Read(ref _rare)?.CancellationSource?.Cancel();
        if (State == TaskState.Queued)
        {
            Engine.Queued.RemoveQueued(this);
        }

        if (force)
        {
            RunningLease?.Abandon(this);
        }

        RemoteNode?.Cancel(Id, force, recursive);
        if (recursive && !wasDone)
        {
            TaskChildren.CancelAll(this, force); // Ray's default: the tasks it submitted, and theirs
        }
    }

    /// <summary>Claims the one row of this cancelled task in the finished-task log (written at the cancel, or when its
    /// code ends if the cancel did not write it); false when it is taken.</summary>
    public bool TryClaimCancelledRecord() => Interlocked.Exchange(ref Rare.CancelRecorded, 1) == 0;
}
