using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Execution;
using OrleansRay.Ownership;

namespace OrleansRay.Actors;

/// <summary>The caller side of actors: one outbox per submitter and actor, which numbers that submitter's calls and
/// sends them in batches.</summary>
/// <remarks>
/// Ray orders actor calls per submitter: the driver, each run of a task and each actor instance on this node is its own
/// submitter (<see cref="TaskContext.GetSubmitter{T}"/>), so one submitter's call waiting for an argument never holds up another's.
/// A task's submitter lives as long as its context; its outboxes go with it.
/// </remarks>
internal sealed partial class ActorSubmitter
{
    private readonly ActorServices _runtime;
    private readonly ILogger _logger;
    private readonly ActorCaller _driver;
    private readonly ConcurrentDictionary<ActorId, Task> _creating = new();

    /// <summary>The concurrency group names of the actors created on this node (empty for an actor without groups), so a
    /// call naming a group they lack is refused at the call (Ray raises at <c>.remote()</c>); an entry goes when the
    /// actor is killed here or this node learns it died for good.</summary>
    private readonly ConcurrentDictionary<ActorId, string[]> _groups = new();

    /// <summary>Nodes declared dead, for an outbox whose answer from a node arrives after that node's death was seen.</summary>
    private readonly ConcurrentDictionary<string, bool> _deadNodes = new(StringComparer.Ordinal);
    private readonly Func<string, bool> _isDead;

    /// <summary>Every submitter of this node that made a call, for <see cref="NodeDied"/>; weak, so a finished task's
    /// submitter is collected with its context.</summary>
    private readonly ConditionalWeakTable<ActorCaller, object> _callers = new();

    public ActorSubmitter(ActorServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
        _driver = new ActorCaller(runtime.WorkerId);
        _callers.AddOrUpdate(_driver, _driver);
        _isDead = _deadNodes.ContainsKey;
    }

    /// <summary>Creates an actor: the creation is the first message of its creator's outbox, so the creator's calls made
    /// right after follow it; other submitters' first calls wait for it too while it is in flight.</summary>
    /// <returns>The creation's send: complete once the actor's host has it.</returns>
    public Task Create(ActorCreationSpec spec)
    {
        // An actor without groups has none: a call naming one is refused here too (an empty list, not "unknown").
        _groups[spec.ActorId] = spec.Options.ConcurrencyGroups is { Count: > 0 } groups
            ? groups.Keys.Order(StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

        _runtime.Infeasible?.CheckActor(spec.ClassName, spec.Options.Resources);
        var outbox = OutboxOf(CurrentCaller(), spec.ActorId);
        var created = outbox.SendCreate(spec, _runtime.Cluster.PlaceActor(spec.Options.Resources, spec.Options.Placement));
        if (!created.IsCompleted)
        {
            _creating[spec.ActorId] = created;
            var actorId = spec.ActorId;
            created.ContinueWith(sent => _creating.TryRemove(actorId, out Task? _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return created;
    }

    /// <summary>Queues a call of the current submitter; returns its pending result entry at once (cancellable through
    /// its <see cref="ObjectEntry.Producer"/>).</summary>
    /// <param name="actorId">The actor.</param>
    /// <param name="method">The method.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="concurrencyGroup">The concurrency group it runs in; null for the default group.</param>
    /// <exception cref="ArgumentException">The actor was created on this node and has no group <paramref name="concurrencyGroup"/>
    /// (for an actor created elsewhere its host refuses the call, and its result fails).</exception>
    public ObjectEntry Call(ActorId actorId, CompiledFunction method, TaskArg[] args, string? concurrencyGroup = null) =>
        Call(actorId, method, args, 1, concurrencyGroup, out _);

    /// <summary>Calls a method with <paramref name="numReturns"/> returns (Ray's <c>num_returns</c>): returns return 1's
    /// entry, and returns 2..N in <paramref name="otherReturns"/> (null for one return), each an object of its own.</summary>
    /// <exception cref="ArgumentException">As for the other overload: an unknown concurrency group.</exception>
    public ObjectEntry Call(ActorId actorId, CompiledFunction method, TaskArg[] args, int numReturns, string? concurrencyGroup, out ObjectEntry[]? otherReturns)
    {
        CheckGroup(actorId, method, concurrencyGroup);
        var entry = _runtime.Objects.Create(ObjectId.NewId());
        var outbox = OutboxOf(CurrentCaller(), actorId);
        var handle = new ActorCallHandle(outbox, entry, method);
        entry.Producer = handle;
        otherReturns = null;
        if (numReturns > 1)
        {
            otherReturns = new ObjectEntry[numReturns - 1];
            for (var i = 0; i < otherReturns.Length; i++)
            {
                otherReturns[i] = _runtime.Objects.Create(ObjectId.NewId());
                otherReturns[i].Producer = handle;
            }

            handle.OtherReturns = otherReturns;
            MultipleReturns.LinkFailures(entry, otherReturns);
        }

        outbox.Enqueue(method.Descriptor, args, handle, concurrencyGroup);
        return entry;
    }

    /// <summary>Calls a method returning <see cref="IAsyncEnumerable{T}"/> as a streaming generator (Ray's actor
    /// generator, ADR 0013): the returned stream gets its items as the method yields them; its end (the call's return
    /// object, whose producer is the call: cancelling it cancels the call) completes with the item count or the error.</summary>
    /// <param name="backpressure">Items the method may produce ahead of the consumer (0: no bound).</param>
    /// <exception cref="ArgumentException">As for <see cref="Call(ActorId, CompiledFunction, TaskArg[], string?)"/>.</exception>
    public GeneratorStream CallGenerator(ActorId actorId, CompiledFunction method, TaskArg[] args, string? concurrencyGroup, int backpressure)
    {
        CheckGroup(actorId, method, concurrencyGroup);
        var streams = _runtime.Reader.Generators ?? throw new InvalidOperationException("This runtime has no generator streams.");
        var id = TaskId.NewId();
        var entry = _runtime.Objects.Create(GeneratorItems.EndOf(id));
        var stream = streams.Open(id, entry, backpressure, actorCall: true);
        var outbox = OutboxOf(CurrentCaller(), actorId);
        var handle = new ActorCallHandle(outbox, entry, method) { GeneratorBackpressure = backpressure };
        entry.Producer = handle;
        outbox.Enqueue(method.Descriptor, args, handle, concurrencyGroup);
        return stream;
    }

    private void CheckGroup(ActorId actorId, CompiledFunction method, string? concurrencyGroup)
    {
        if (concurrencyGroup is not null && _groups.TryGetValue(actorId, out var known) && Array.IndexOf(known, concurrencyGroup) < 0)
        {
            throw new ArgumentException(ConcurrencyGroups.Unknown(concurrencyGroup, method.DisplayName, known), nameof(concurrencyGroup));
        }
    }

    /// <summary>A node died: calls queued or running on actors that lived there are re-sent to their restarted actors
    /// while retries last, else fail.</summary>
    public void NodeDied(NodeId node)
    {
        _deadNodes[node.Value] = true;
        foreach (var (caller, _) in _callers)
        {
            foreach (var outbox in caller.Outboxes.Values)
            {
                outbox.NodeDied(node.Value);
            }
        }
    }

    /// <summary>Calls of one of this node's submitters wait on another node than the one that accepted them (their
    /// actor moved there with them): they die with that node from now on. Unknown submitters and calls are ignored.</summary>
    public void CallsMoved(ActorCallsMoved moved)
    {
        foreach (var (caller, _) in _callers)
        {
            if (caller.Id == moved.Caller && caller.Outboxes.TryGetValue(moved.Actor, out var outbox))
            {
                outbox.CallsMoved(moved);
                return;
            }
        }
    }

    /// <summary>Whether this node has seen <paramref name="node"/> declared dead (<see cref="NodeDied"/>).</summary>
    public bool HasSeenDead(string node) => _deadNodes.ContainsKey(node);

    /// <summary>Kills an actor (through its host grain). Once an actor is dead for good, this node's submitters forget
    /// their outboxes to it: a later call gets a new outbox, which the actor's host answers with its death.</summary>
    public async Task KillAsync(ActorId actorId, bool noRestart, string reason)
    {
        if (noRestart)
        {
            _groups.TryRemove(actorId, out _);
        }

        await _runtime.GrainFactory.GetGrain<IActorHostGrain>(actorId.ToGuid()).KillAsync(noRestart, reason).ConfigureAwait(false);
        if (noRestart)
        {
            // An outbox holds its last call: kept for every actor a driver ever killed, ~4 KB each.
            foreach (var (caller, _) in _callers)
            {
                caller.Outboxes.TryRemove(actorId, out _);
            }
        }
    }

    /// <summary>The submitter of code running now: the task run or actor instance on this node, else the driver.</summary>
    private ActorCaller CurrentCaller() =>
        TaskContext.Current is { } context && ReferenceEquals(context.Host, _runtime.Host) ? context.GetSubmitter(NewCaller) : _driver;

    private static readonly Func<ActorCaller> NewCaller = ActorCaller.New;

    private ActorOutbox OutboxOf(ActorCaller caller, ActorId actorId)
    {
        if (caller.Outboxes.TryGetValue(actorId, out var outbox))
        {
            return outbox;
        }

        return NewOutbox(caller, actorId);
    }

    /// <summary>A separate method, so the closure it needs is not allocated on <see cref="OutboxOf"/>'s fast path.</summary>
    private ActorOutbox NewOutbox(ActorCaller caller, ActorId actorId)
    {
        _callers.TryAdd(caller, caller);
        return caller.Outboxes.GetOrAdd(actorId, id => new ActorOutbox(_runtime, id, caller, _logger, _isDead, _creating.TryGetValue(id, out var created) ? created : null));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A cancel of a call to actor {ActorId} did not reach it: {Reason}")]
    internal static partial void LogCancelUndelivered(ILogger logger, ActorId actorId, string reason);
}
