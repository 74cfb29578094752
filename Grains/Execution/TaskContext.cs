namespace OrleansRay.Execution;

/// <summary>What code running inside a task or actor method can ask about where it runs (Ray's runtime context): the
/// node, the function's name, its cancellation, the worker slot it holds, and the submitter of the actor calls it
/// makes.</summary>
/// <remarks>Set by <see cref="Invoker"/> around each call, on the call's async flow. The node and the submitter belong
/// to layers above Execution, so this layer carries them without knowing their types: <see cref="Host"/> is the node
/// runtime, and <see cref="GetSubmitter{T}"/> keeps the Actors layer's submitter.</remarks>
internal sealed class TaskContext : ITaskContextSource
{
    /// <summary>A <see cref="TaskContext"/>, or a weak reference to one of job code (see <see cref="Current"/>).</summary>
    private static readonly AsyncLocal<object?> CurrentSlot = new();
    private readonly CancellationToken _cancellationToken;
    private object? _submitter;

    /// <summary>A context for one run of <paramref name="functionName"/> on <paramref name="host"/>.</summary>
    /// <param name="host">The node runtime running the code (Node layer's <c>NodeRuntime</c>).</param>
    /// <param name="functionName">The task's or method's display name.</param>
    /// <param name="cancellationToken">The call's cancellation (used when <see cref="Work"/> is null).</param>
    /// <param name="slot">The resources a task holds (null in actor methods: an actor holds its resources for life).</param>
    public TaskContext(object host, string functionName, CancellationToken cancellationToken, IWorkerSlot? slot)
    {
        Host = host;
        FunctionName = functionName;
        _cancellationToken = cancellationToken;
        Slot = slot;
    }

    /// <summary>The context of the task or actor call running on this async flow, if any.</summary>
    /// <remarks>The context of job code (shipped with a job) is held weakly by the flow: an execution context captured
    /// inside it (by a thread or loop the runtime starts while serving the code) may outlive the job, and through the
    /// context's work it would keep the job's load context from unloading. The invoker holds it strongly while the code
    /// runs.</remarks>
    public static TaskContext? Current
    {
        get => CurrentSlot.Value switch
        {
            TaskContext context => context,
            WeakReference<TaskContext> weak when weak.TryGetTarget(out var context) => context,
            ITaskContextSource source => source.Context, // a plain task's spec: made now, on the first ask
            _ => null,
        };
        set => CurrentSlot.Value = value is { IsJobCode: true } ? value._rare!.WeakSelf ??= new WeakReference<TaskContext>(value) : value;
    }

    /// <summary>True when a task or actor call runs on this async flow (<see cref="Current"/> is not null), without
    /// making a context that a source has not made yet.</summary>
    public static bool IsSet => CurrentSlot.Value switch
    {
        null => false,
        WeakReference<TaskContext> weak => weak.TryGetTarget(out _),
        _ => true,
    };

    /// <summary>The scope (job, namespace, runtime env variables) of the task or actor call running on this flow, without
    /// making a context that a source has not made yet; null when none runs (driver code).</summary>
    public static JobScope? CurrentJob => CurrentSlot.Value switch
    {
        TaskContext context => context.Job,
        WeakReference<TaskContext> weak when weak.TryGetTarget(out var context) => context.Job,
        ITaskContextSource source => source.Job,
        _ => null,
    };

    /// <summary>What the flow holds now, to give back to <see cref="Restore"/> once a run is over (never makes a context).</summary>
    public static object? Saved => CurrentSlot.Value;

    /// <summary>Makes <paramref name="run"/> the flow's current run: a context as <see cref="Current"/>'s setter does, a
    /// source as itself (its context is made if the code asks). A source must not hold job code: a job's context is
    /// held weakly by the flow (see <see cref="Current"/>), which only a <see cref="TaskContext"/> arranges.</summary>
    public static void Enter(ITaskContextSource run)
    {
        if (run is TaskContext context)
        {
            Current = context;
        }
        else
        {
            CurrentSlot.Value = run;
        }
    }

    /// <summary>Gives the flow back what <see cref="Saved"/> read.</summary>
    public static void Restore(object? saved) => CurrentSlot.Value = saved;

    TaskContext ITaskContextSource.Context => this;

    /// <summary>What most runs leave at their defaults (job code, several returns, a generator), kept apart so
    /// that the context of a plain task or actor call is small: one is made for every run.</summary>
    private RareParts? _rare;

    private RareParts Rare => SharedRare();

    /// <summary>True for a run of a job's shipped code (held weakly by its flow, see <see cref="Current"/>).</summary>
    public bool IsJobCode
    {
        get => _rare?.IsJobCode ?? false;
        init
        {
            if (value)
            {
                Rare.IsJobCode = true;
            }
        }
    }

    /// <summary>How many return objects the work has (Ray's <c>num_returns</c>); above 1 the <see cref="Invoker"/> splits
    /// the function's tuple or list into a <see cref="Ownership.ReturnValues"/>. 1 by default.</summary>
    public int NumReturns
    {
        get => _rare?.NumReturns ?? 1;
        init
        {
            if (value != 1)
            {
                Rare.NumReturns = value;
            }
        }
    }

    /// <summary>The namespace of the job the running code belongs to (Ray: a task or actor runs in its job's
    /// namespace); null: the node's default. Named actors created or looked up by the code are in it.</summary>
    public string? Namespace => Job.Namespace;

    /// <summary>The job the running code belongs to, by its driver's worker id: the tasks it submits are that job's, and
    /// end with it. Empty: no job's (a detached actor, which outlives its job).</summary>
    public WorkerId JobDriver => Job.Driver;

    /// <summary>The job and namespace together (shared by the job's work): <see cref="JobDriver"/> and
    /// <see cref="Namespace"/> read it. Default: <see cref="JobScope.None"/>.</summary>
    public JobScope Job { get; init; } = JobScope.None;

    /// <summary>The node runtime running this code.</summary>
    public object Host { get; }

    /// <summary>The task's or method's display name.</summary>
    public string FunctionName { get; }

    /// <summary>The running task, whose cancellation wins over the token given at construction.</summary>
    public ICancellableWork? Work { get; init; }

    /// <summary>The id of the running task (<see cref="Work"/>), or the id an actor call or an actor's constructor was
    /// given (<see cref="ActorTaskId"/>); empty when neither (Ray's <c>get_task_id</c>).</summary>
    public TaskId TaskId => Work?.TaskId ?? ActorTaskId;

    /// <summary>The task id of an actor call (its first return object's bits) or of an actor's creation (its actor id's
    /// bits), as Ray derives both from ids it already has; empty for a task (whose id is <see cref="Work"/>'s).</summary>
    public TaskId ActorTaskId { get; init; }

    /// <summary>Which attempt of the running task or actor call this is (0 for the first); 0 in constructors.</summary>
    public int AttemptNumber => Work?.AttemptNumber ?? _rare?.ActorAttempt ?? 0;

    /// <summary>Which attempt of an actor call runs (<see cref="ActorCall.Attempt"/>); kept apart (0 for almost every call).</summary>
    public int ActorAttempt
    {
        init
        {
            if (value != 0)
            {
                Rare.ActorAttempt = value;
            }
        }
    }

    /// <summary>Cancelled when the task or call is cancelled.</summary>
    public CancellationToken CancellationToken => Work?.CancellationToken ?? (IsOnDemand ? OwnCancellation().Token : _cancellationToken);

    /// <summary>Given to the constructor as the token of a run whose cancellation this context makes itself, only when
    /// the code asks for its token or the run is cancelled (<see cref="Cancel"/>): an actor call, whose code rarely
    /// looks, would otherwise pay for a <see cref="CancellationTokenSource"/> on every call.</summary>
    public static CancellationToken OnDemand => OnDemandMarker.Token;

    private static readonly CancellationTokenSource OnDemandMarker = new();

    private bool IsOnDemand => _cancellationToken == OnDemandMarker.Token;

    /// <summary>Cancels the run's <see cref="CancellationToken"/> (a context made with <see cref="OnDemand"/>), now or,
    /// if the code has not asked for it yet, when it does. Safe from any thread and more than once.</summary>
    /// <exception cref="InvalidOperationException">The context was made with a token of its caller's.</exception>
    /// <exception cref="AggregateException">A callback the code registered on the token threw (as
    /// <see cref="CancellationTokenSource.Cancel()"/>); the cancel itself happened.</exception>
    public void Cancel()
    {
        if (!IsOnDemand)
        {
            throw new InvalidOperationException("Only a context made with TaskContext.OnDemand cancels itself.");
        }

        // Made now if the code has not asked yet: what it asks for later is then already cancelled.
        OwnCancellation().Cancel();
    }

    private CancellationTokenSource OwnCancellation() => LazyInitializer.EnsureInitialized(ref SharedRare().Cancellation);

    /// <summary>The rare parts, made by whichever thread gets there first (the code asking for its token and a cancel
    /// may race).</summary>
    private RareParts SharedRare() => LazyInitializer.EnsureInitialized(ref _rare);

    /// <summary>Where the items go when the running task is a streaming generator (<see cref="GeneratorRunner"/>); null
    /// for every other task and call.</summary>
    public Ownership.IGeneratorSink? Generator
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

    /// <summary>The worker slot of a running task (null in actor methods): released while the task blocks in a Get.</summary>
    public IWorkerSlot? Slot { get; }

    /// <summary>The submitter of the actor calls this code makes: given for an actor's methods (the instance is one
    /// submitter), else made by <paramref name="create"/> on first use (each run of a task is its own submitter, as in Ray).</summary>
    public T GetSubmitter<T>(Func<T> create)
        where T : class =>
        Volatile.Read(ref _submitter) as T ?? (T)(Interlocked.CompareExchange(ref _submitter, create(), null) ?? _submitter!);

    /// <summary>The submitter given up front (an actor instance's calls share one; set before the code runs), or the one
    /// <see cref="GetSubmitter{T}"/> made; null when neither (reading it makes none).</summary>
    public object? Submitter
    {
        get => Volatile.Read(ref _submitter);
        set => _submitter = value;
    }

    /// <summary>The parts of a context set only for some runs (<see cref="_rare"/>).</summary>
    private sealed class RareParts
    {
        public bool IsJobCode;
        public int NumReturns = 1;
        public int ActorAttempt;
        public Ownership.IGeneratorSink? Generator;
        public WeakReference<TaskContext>? WeakSelf;
        public CancellationTokenSource? Cancellation;
    }
}
