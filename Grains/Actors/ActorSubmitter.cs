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
    public ObjectEntry Call(ActorId actorId, CompiledFunction method, TaskArg[] args) => Call(actorId, method, args, 1, out _);

    /// <summary>Calls a method with <paramref name="numReturns"/> returns (Ray's <c>num_returns</c>): returns return 1's
    /// entry, and returns 2..N in <paramref name="otherReturns"/> (null for one return), each an object of its own.</summary>
    public ObjectEntry Call(ActorId actorId, CompiledFunction method, TaskArg[] args, int numReturns, out ObjectEntry[]? otherReturns)
    {
        var entry = _runtime.Objects.Create(ObjectId.NewId());
        var outbox = OutboxOf(CurrentCaller(), actorId);
        var handle = new ActorCallHandle(outbox, entry, method.Descriptor, method.DisplayName);
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

        outbox.Enqueue(method.Descriptor, args, handle);
        return entry;
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

    /// <summary>Kills an actor (through its host grain).</summary>
    public Task KillAsync(ActorId actorId, bool noRestart, string reason) =>
        _runtime.GrainFactory.GetGrain<IActorHostGrain>(actorId.ToGuid()).KillAsync(noRestart, reason);

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

        _callers.TryAdd(caller, caller);
        return caller.Outboxes.GetOrAdd(actorId, id => new ActorOutbox(_runtime, id, caller, _logger, _isDead, _creating.TryGetValue(id, out var created) ? created : null));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A cancel of a call to actor {ActorId} did not reach it: {Reason}")]
    internal static partial void LogCancelUndelivered(ILogger logger, ActorId actorId, string reason);
}
