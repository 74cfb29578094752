using System.Collections.Concurrent;

namespace OrleansRay.Actors;

/// <summary>The actors a node hosts, for the dashboard's Actors page: live ones, and the latest
/// <see cref="DeadKept"/> dead ones (bounded, so a node that ran millions of short-lived actors does not grow).</summary>
internal sealed class HostedActorRegistry
{
    /// <summary>Dead actors kept for the page.</summary>
    public const int DeadKept = 1000;

    private readonly ConcurrentDictionary<ActorId, ActorMailbox> _actors = new();
    private readonly ConcurrentQueue<ActorId> _dead = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorMailbox, Action> _evictions = new();

    public int Count => _actors.Count;

    /// <summary>Actors whose instance is on this node now: being created, alive or restarting (not dead ones).</summary>
    /// <remarks>Read for every node row (each 300 ms). The dictionary's own enumerator takes no lock and copies nothing;
    /// its <c>Values</c> would take every lock and copy all mailboxes.</remarks>
    public int LiveCount
    {
        get
        {
            var live = 0;
            foreach (var (_, mailbox) in _actors)
            {
                if (mailbox.State != ActorState.Dead)
                {
                    live++;
                }
            }

            return live;
        }
    }

    public void Add(ActorId id, ActorMailbox mailbox) => _actors[id] = mailbox;

    /// <summary>Actors handed over for a move whose migration did not happen (the target left before Orleans placed the
    /// activation there): the host's next activation on this node takes them back (<see cref="TakeReturned"/>).</summary>
    private readonly ConcurrentDictionary<ActorId, ActorHandover> _returned = new();

    /// <summary>Keeps a handover whose migration did not happen, for the actor's next activation here.</summary>
    public void Return(ActorId id, ActorHandover handover) => _returned[id] = handover;

    /// <summary>The handover of <paramref name="id"/> whose migration did not happen, taken out; null when none.</summary>
    public ActorHandover? TakeReturned(ActorId id) => !_returned.IsEmpty && _returned.TryRemove(id, out var handover) ? handover : null;

    /// <summary>The actor of <paramref name="mailbox"/> moved to another node: it is no longer listed here.</summary>
    public void Remove(ActorId id, ActorMailbox mailbox) => _actors.TryRemove(KeyValuePair.Create(id, mailbox));

    /// <summary>The mailboxes here (live and dead), read without a lock.</summary>
    public IEnumerable<ActorMailbox> Mailboxes
    {
        get
        {
            foreach (var (_, mailbox) in _actors)
            {
                yield return mailbox;
            }
        }
    }

    /// <summary>The mailbox of an actor hosted on this node, or null.</summary>
    public ActorMailbox? Find(ActorId id) => _actors.TryGetValue(id, out var mailbox) ? mailbox : null;

    /// <summary>Runs <paramref name="evicted"/> when <paramref name="mailbox"/>'s actor, dead, leaves the registry.</summary>
    public void WhenEvicted(ActorMailbox mailbox, Action evicted) => _evictions.AddOrUpdate(mailbox, evicted);

    /// <summary>An actor died: it stays listed until <see cref="DeadKept"/> later deaths push it out; then what
    /// <see cref="WhenEvicted"/> gave runs (its host activation goes, and a later call finds the actor's record).</summary>
    public void Died(ActorId id)
    {
        _dead.Enqueue(id);
        while (_dead.Count > DeadKept && _dead.TryDequeue(out var oldest))
        {
            if (_actors.TryGetValue(oldest, out var mailbox) && mailbox.State == ActorState.Dead
                && _actors.TryRemove(KeyValuePair.Create(oldest, mailbox)))
            {
                if (_evictions.TryGetValue(mailbox, out var evicted))
                {
                    evicted();
                }
            }
        }
    }

    /// <summary>The non-dead (pending, alive or restarting), non-detached actors here whose job (by its driver, wherever
    /// in the job they were created) is one of <paramref name="drivers"/> (worker ids as text): actors whose job ended.</summary>
    public List<ActorId> OwnedBy(IReadOnlySet<string> drivers) =>
        [.. _actors.Select(a => a.Value)
            .Where(m => m.State != ActorState.Dead)
            .Select(m => m.Ownership)
            .Where(o => o is { Detached: false } && drivers.Contains(o.Value.Owner.ToString()))
            .Select(o => o!.Value.Id)];

    /// <summary>The actors here, not dead, that live in placement group <paramref name="placementGroupId"/> (created with
    /// it, whatever they ask for: waiting for their bundle, alive or restarting).</summary>
    public List<ActorId> InPlacementGroup(Guid placementGroupId) =>
        [.. _actors
            .Where(a => a.Value.State != ActorState.Dead
                && a.Value.OptionsLocked?.Placement is { Kind: PlacementKind.PlacementGroup } placement // the spec is set once
                && placement.PlacementGroupId == placementGroupId)
            .Select(a => a.Key)];

    public HostedActor[] Snapshot() =>
        _actors.Select(a => (Mailbox: a.Value, Info: a.Value.Info()))
            .Where(x => x.Info is not null)
            .Select(x => new HostedActor(x.Info!, x.Mailbox.PendingCalls, x.Mailbox.CallsRun) { Owner = x.Mailbox.Ownership?.Owner ?? default })
            .ToArray();
}
