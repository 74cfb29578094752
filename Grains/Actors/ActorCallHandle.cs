using OrleansRay.Execution;
using OrleansRay.Ownership;

namespace OrleansRay.Actors;

/// <summary>The caller's hold on one actor call: its result entry, and <see cref="Cancel"/> for ray.CancelAsync.</summary>
/// <remarks>
/// Cancelling fails the result at once with Cancelled (as a task's cancel does). A call not yet sent goes as a skip
/// marker, so the submitter's later calls do not wait for its arguments; a call the actor already has is skipped there,
/// or, while it runs, has its RayContext.CancellationToken cancelled. A forced cancel does the same: Ray refuses to
/// kill an actor's process for one call, and the actor's other calls must go on.
/// </remarks>
internal sealed class ActorCallHandle : IPendingWork
{
    private readonly ActorOutbox _outbox;
    private readonly CompiledFunction _method;
    private int _isCancelled;

    /// <summary>What most calls never use (several returns, a generator, held arguments, re-sends, a wait for a cancel),
    /// kept apart so that the handle of a plain call is small: one is made for every call.</summary>
    private RareParts? _rare;

    public ActorCallHandle(ActorOutbox outbox, ObjectEntry entry, CompiledFunction method)
    {
        _outbox = outbox;
        _method = method;
        Entry = entry;
    }

    /// <summary>The call's result.</summary>
    public ObjectEntry Entry { get; }

    /// <inheritdoc />
    public bool IsLoneLocal => _outbox.IsLoneLocalCall(this);

    /// <inheritdoc />
    public bool TryRunHere() => _outbox.TryRunHere(this);

    /// <inheritdoc />
    public void Hurry() => _outbox.Hurry();

    /// <summary>Returns 2..N of a method with several returns (Ray's <c>num_returns</c>; <see cref="Entry"/> is return
    /// 1), or null. They fail with <see cref="Entry"/> (<see cref="MultipleReturns.LinkFailures"/>).</summary>
    public ObjectEntry[]? OtherReturns
    {
        get => _rare?.OtherReturns;
        set => Rare.OtherReturns = value;
    }

    /// <summary>For a streaming generator call (Ray's actor generator): the items it may produce ahead of its consumer
    /// (0: no bound); -1 (the default) for a call with ordinary returns.</summary>
    public int GeneratorBackpressure
    {
        get => _rare?.GeneratorBackpressure ?? -1;
        init => Rare.GeneratorBackpressure = value;
    }

    /// <summary>The method called.</summary>
    public FunctionDescriptor Method => _method.Descriptor;

    /// <summary>The method called, as errors name it ("Counter.Increment").</summary>
    public string DisplayName => _method.DisplayName;

    /// <summary>The method called, for messages.</summary>
    public string MethodName => _method.DisplayName;

    /// <summary>Why a wait for this call's result may never end, when the code waiting (the current
    /// <see cref="TaskContext"/>) is a call of the very actor instance that made this call and the call is to that same
    /// actor (through its own handle); else null. Such an actor starts the call only when a running call ends, and while
    /// it runs one call at a time, the one running is the one waiting (as in Ray).</summary>
    public string? SelfWaitHint() =>
        _outbox.Caller is { Actor: { } self } caller && self == _outbox.Actor && TaskContext.Current?.Submitter == caller
            ? $"It is the result of a call ({MethodName}) that actor {caller.ActorClass} ({self}) made to itself, waited for inside that actor's own call: " +
              "an actor starts a call of its queue only when a running call ends, so while it runs one call at a time (not an [AsyncActor], MaxConcurrency 1) " +
              "the call waits for the very call that waits for it, and never runs until that one gives up. Call the method directly (this.Method(...)) instead, " +
              "or make the actor an [AsyncActor] (or give it MaxConcurrency > 1) so that its calls can interleave."
            : null;

    /// <summary>The call's number in its submitter's order (set when it is queued).</summary>
    public long Sequence { get; set; }

    /// <summary>The node the call waits on, while the caller counts it as queued or running there: the one that accepted
    /// it, or the one its actor moved on to with it before starting (the outbox's lock guards this and the two below).</summary>
    public string? Node { get; set; }

    /// <summary>The call as sent (arguments as values), kept only while the actor's MaxTaskRetries allows re-sending it.</summary>
    public ActorCall? Sent { get; set; }

    /// <summary>The call's arguments as the caller made them (refs, with their handles), held until the result arrives
    /// when they were sent to another node as where they are stored: their objects must outlive the call.</summary>
    public TaskArg[]? HeldArguments
    {
        get => _rare?.HeldArguments;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.HeldArguments = value;
            }
        }
    }

    /// <summary>Times the call was re-sent after the node that accepted it died.</summary>
    public int Retries
    {
        get => _rare?.Retries ?? 0;
        set => Rare.Retries = value;
    }

    /// <summary>Word that the call moved from one node to another with its actor, come while its acceptance was still on
    /// its way (<see cref="Node"/> null): applied when the acceptance names the node it moved from. Null for none.</summary>
    public (string From, string To)? Move
    {
        get => _rare?.Move;
        set
        {
            if (value is not null || _rare is not null)
            {
                Rare.Move = value;
            }
        }
    }

    /// <summary>Node <paramref name="node"/> accepted the call: it waits there, or on the node its actor moved on to with
    /// it if word of that move came first (<see cref="Move"/>, from <paramref name="node"/>). Returns that other node, or
    /// null when it waits on <paramref name="node"/>. Under the outbox's lock.</summary>
    public string? AcceptedBy(string node)
    {
        Node = node;
        if (_rare?.Move is not { } move)
        {
            return null;
        }

        _rare.Move = null;
        if (!string.Equals(move.From, node, StringComparison.Ordinal))
        {
            return null; // word of an earlier send's move
        }

        Node = move.To;
        return move.To;
    }

    /// <summary>True once cancelled.</summary>
    public bool IsCancelled => Volatile.Read(ref _isCancelled) != 0;

    /// <summary>Completes when the call is cancelled (wakes a wait for its arguments).</summary>
    public Task Cancelled
    {
        get
        {
            // Interlocked on both sides (here and in Cancel): whichever runs second sees the other's write.
            var rare = Rare;
            var cancelled = Volatile.Read(ref rare.Cancelled);
            if (cancelled is null)
            {
                var made = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                cancelled = Interlocked.CompareExchange(ref rare.Cancelled, made, null) ?? made;
            }

            if (IsCancelled)
            {
                cancelled.TrySetResult();
            }

            return cancelled.Task;
        }
    }

    /// <summary>The rare parts, made on first use (by whichever thread comes first).</summary>
    private RareParts Rare => LazyInitializer.EnsureInitialized(ref _rare);

    /// <inheritdoc/>
    /// <remarks>An actor call is cancelled alone: as in Ray, <paramref name="recursive"/> does not reach the tasks it
    /// submitted.</remarks>
    public void Cancel(bool force, bool recursive)
    {
        if (!Entry.TrySetError(RayError.Create(RayErrorKind.Cancelled, $"Actor call {MethodName} was cancelled. A call that had already started is not stopped: its cancellation token fires, and what it did to the actor stands.", MethodName)))
        {
            return;
        }

        Interlocked.Exchange(ref _isCancelled, 1);
        if (Volatile.Read(ref _rare) is { } rare)
        {
            Volatile.Read(ref rare.Cancelled)?.TrySetResult();
        }

        _outbox.Cancel(this);
    }

    private sealed class RareParts
    {
        public ObjectEntry[]? OtherReturns;
        public int GeneratorBackpressure = -1;
        public TaskArg[]? HeldArguments;
        public int Retries;
        public (string From, string To)? Move;

        /// <summary>Made only when someone waits for a cancel (the outbox resolving an argument).</summary>
        public TaskCompletionSource? Cancelled;
    }
}
