namespace OrleansRay.Actors;

/// <summary>An actor's concurrency groups (Ray's concurrency groups) as its host runs them: each group has its own slots
/// and its own FIFO of calls ready to start; the default group (calls naming no group) is limited by MaxConcurrency. For
/// an async actor each group also has one exclusive task scheduler over the node's worker pool, on which its calls start
/// and resume after their awaits, so code of one group never runs on two threads at once.</summary>
/// <remarks>Not thread-safe: the mailbox's lock guards every member except <see cref="Unknown"/>.</remarks>
internal sealed class ConcurrencyGroups
{
    private readonly Dictionary<string, Group> _named;
    private readonly Group _default;
    private readonly TaskScheduler _pool;

    public ConcurrencyGroups(ActorOptionsData options, TaskScheduler pool)
    {
        _pool = pool;
        IsAsync = options.IsAsync;
        _default = new Group(string.Empty, Math.Max(1, options.MaxConcurrency));
        _named = (options.ConcurrencyGroups ?? new Dictionary<string, int>()).ToDictionary(static g => g.Key, static g => new Group(g.Key, Math.Max(1, g.Value)), StringComparer.Ordinal);
        Names = _named.Keys.Order(StringComparer.Ordinal).ToArray();
        ResetLocked();
    }

    /// <summary>Whether the actor is an async actor (calls start on each group's exclusive scheduler).</summary>
    public bool IsAsync { get; }

    /// <summary>The named groups, sorted.</summary>
    public string[] Names { get; }

    /// <summary>Calls taken from the callers' queues and not finished: ready to start, or running.</summary>
    public int InFlight => _default.Count + _named.Values.Sum(static g => g.Count);

    /// <summary>Whether an actor with these options runs its calls through groups (an async actor, or one with groups);
    /// else the mailbox's plain dispatch serves it.</summary>
    public static bool Needed(ActorOptionsData options) => options.IsAsync || options.ConcurrencyGroups is { Count: > 0 };

    /// <summary>The message refusing a call of a group the actor does not have.</summary>
    public static string Unknown(string group, string method, IReadOnlyCollection<string> known) =>
        $"The actor has no concurrency group '{group}' (asked for by the call of {method}); its groups are: " +
        (known.Count == 0 ? "none" : string.Join(", ", known.Select(static k => $"'{k}'"))) +
        ". Declare the group with its limit in ActorOptions.ConcurrencyGroups when creating the actor, or call without a group (the default group).";

    /// <summary>Queues a call that can run (its arguments are ready) behind the earlier ones of its group; false when the
    /// actor has no such group.</summary>
    public bool Add(ActorCall call)
    {
        var group = Of(call.ConcurrencyGroup);
        if (group is null)
        {
            return false;
        }

        group.Ready.AddLast(call);
        return true;
    }

    /// <summary>Takes the calls that may start now, in each group's order, and counts them as running in their group.</summary>
    public void TakeStartable(List<(ActorCall Call, Group Group)> into)
    {
        Take(_default, into);
        foreach (var group in _named.Values)
        {
            Take(group, into);
        }
    }

    private static void Take(Group group, List<(ActorCall, Group)> into)
    {
        while (group.Running < group.Limit && group.Ready.First is { } first)
        {
            group.Ready.RemoveFirst();
            group.Running++;
            into.Add((first.Value, group));
        }
    }

    /// <summary>A call of <paramref name="group"/> finished (only for the instance it started on).</summary>
    public static void Finished(Group group) => group.Running--;

    /// <summary>Drops a call that is ready and not started (cancelled); false if it is not here.</summary>
    public bool Remove(WorkerId caller, long sequence)
    {
        foreach (var group in _named.Values.Append(_default))
        {
            for (var node = group.Ready.First; node is not null; node = node.Next)
            {
                if (node.Value.Caller == caller && node.Value.Sequence == sequence)
                {
                    group.Ready.Remove(node);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Takes every call not started (the actor died).</summary>
    public List<ActorCall> TakeAll()
    {
        var all = new List<ActorCall>();
        foreach (var group in _named.Values.Append(_default))
        {
            all.AddRange(group.Ready);
            group.Ready.Clear();
        }

        return all;
    }

    /// <summary>A new instance: no call runs; an async actor's groups get new schedulers, so a call of the old instance
    /// still blocking one holds up nothing of the new one. Ready calls stay for the new instance.</summary>
    public void ResetLocked()
    {
        foreach (var group in _named.Values.Append(_default))
        {
            group.Running = 0;
            group.Scheduler = IsAsync ? new ConcurrentExclusiveSchedulerPair(_pool, maxConcurrencyLevel: 1).ExclusiveScheduler : null;
        }
    }

    private Group? Of(string? name) => name is null ? _default : _named.GetValueOrDefault(name);

    /// <summary>One concurrency group.</summary>
    internal sealed class Group
    {
        public Group(string name, int limit)
        {
            Name = name;
            Limit = limit;
        }

        /// <summary>The name; empty for the default group.</summary>
        public string Name { get; }

        /// <summary>Calls of the group that run at once.</summary>
        public int Limit { get; }

        /// <summary>Calls of the group running now (started, not finished, awaiting included).</summary>
        public int Running;

        /// <summary>Calls ready to start, in start order.</summary>
        public LinkedList<ActorCall> Ready { get; } = new();

        /// <summary>For an async actor: the exclusive scheduler its calls run on; null for others (worker threads).</summary>
        public TaskScheduler? Scheduler;

        public int Count => Running + Ready.Count;
    }
}
