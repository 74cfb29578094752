using System.Collections.Concurrent;
using OrleansRay.Functions;
using OrleansRay.Grains;
using OrleansRay.Objects;
using OrleansRay.Runtime;

namespace OrleansRay.Actors;

/// <summary>The caller side of actors: one outbox per actor, which numbers this worker's calls and sends them in batches.</summary>
internal sealed class ActorSubmitter
{
    private readonly NodeRuntime _runtime;
    private readonly ConcurrentDictionary<ActorId, ActorOutbox> _outboxes = new();

    public ActorSubmitter(NodeRuntime runtime)
    {
        _runtime = runtime;
    }

    /// <summary>Creates an actor: the creation is the first message of its outbox, so calls made right after follow it.</summary>
    public void Create(ActorCreationSpec spec)
    {
        var outbox = _outboxes.GetOrAdd(spec.ActorId, id => new ActorOutbox(_runtime, id));
        outbox.SendCreate(spec, _runtime.Cluster.PlaceActor(spec.Options.Resources, spec.Options.Placement));
    }

    /// <summary>Queues a call; returns its pending result entry at once.</summary>
    public ObjectEntry Call(ActorId actorId, CompiledFunction method, TaskArg[] args)
    {
        var entry = _runtime.Objects.Create(ObjectId.NewId());
        var outbox = _outboxes.GetOrAdd(actorId, id => new ActorOutbox(_runtime, id));
        outbox.Enqueue(method.Descriptor, args, entry);
        return entry;
    }

    /// <summary>A node died: calls in flight to actors that lived there fail.</summary>
    public void NodeDied(NodeId node)
    {
        foreach (var outbox in _outboxes.Values)
        {
            outbox.NodeDied(node.Value);
        }
    }

    /// <summary>Kills an actor (through its host grain).</summary>
    public Task KillAsync(ActorId actorId, bool noRestart, string reason) =>
        _runtime.GrainFactory.GetGrain<IActorHostGrain>(actorId.ToGuid()).KillAsync(noRestart, reason);
}
