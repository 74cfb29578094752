using OrleansRay.Ownership;
using OrleansRay.Placement;

namespace OrleansRay.Node;

/// <summary>The node runtime's answer to placement's <see cref="INodeOccupancy"/>: live hosted actors, the primary
/// copies in the node's object store, the objects its runtime owns, and its drain (Ray's DrainNode).</summary>
/// <remarks>The store is asked asynchronously (it may be another process): each read of
/// <see cref="PrimaryObjectCount"/> returns the count of the last read that finished and starts one new read unless one
/// is in flight, so the node-table row, built every refresh, never waits for the store; the count is at least one refresh
/// old, and older while the store is slow (a read may take up to 2 s). A store that does not answer keeps the last count
/// (a node that held primary copies is not reported empty because its store is stuck). That is why
/// <see cref="DrainIfIdleAsync"/> asks the store afresh and does not use this count.</remarks>
internal sealed class NodeOccupancy : INodeOccupancy
{
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(2);

    /// <summary>A drain the autoscaler did not follow by removing the node ends by itself after this.</summary>
    private static readonly TimeSpan DrainExpiry = TimeSpan.FromSeconds(30);

    private readonly NodeRuntime _runtime;
    private readonly object _drainGate = new();
    private int _primaries;
    private int _reading;
    private long _lastActivity;
    private long _lastBusyAt; // Environment.TickCount64 of the last report that saw work, or of the first report
    private long _drainingSince; // Environment.TickCount64 when the drain began; 0 when not draining
    private bool _drainAgreed; // the drain's check found the node idle: only then does its row say draining

    public NodeOccupancy(NodeRuntime runtime) => _runtime = runtime;

    public int ActorCount => _runtime.ActorServices.HostedActors.LiveCount;

    public int OwnedObjectCount => _runtime.Objects.Count;

    public int PrimaryObjectCount
    {
        get
        {
            if (_runtime.Store is not { } store)
            {
                return 0;
            }

            if (Interlocked.Exchange(ref _reading, 1) == 0)
            {
                _ = ReadAsync(store);
            }

            return Volatile.Read(ref _primaries);
        }
    }

    public long IdleMilliseconds
    {
        get
        {
            // Tasks that came and went between two reports show in the counters: any change is activity, now.
            var scheduler = _runtime.Scheduler;
            var activity = scheduler.Counts.Submitted + scheduler.Counts.Finished + scheduler.Counts.Failed + _runtime.Foreign.Received;
            var busy = scheduler.RunningCount > 0 || scheduler.QueuedCount > 0 || scheduler.Counts.WaitingForArgs > 0
                || ActorCount > 0 || OwnedObjectCount > 0 || Volatile.Read(ref _primaries) > 0
                || !scheduler.Resources.Available().Equals(scheduler.Resources.Total);
            var now = Environment.TickCount64;
            lock (_drainGate)
            {
                if (busy || activity != _lastActivity || _lastBusyAt == 0)
                {
                    _lastActivity = activity;
                    _lastBusyAt = now;
                }

                return now - _lastBusyAt;
            }
        }
    }

    /// <summary>What the node's row says: draining once a drain's check found it idle (a drain being checked, or one
    /// refused, never shows, so placement does not skip a node that stays).</summary>
    public bool IsDraining => Volatile.Read(ref _drainAgreed) && IsMarked;

    /// <summary>A drain began and has not ended (work arrived, it was refused, or it expired).</summary>
    private bool IsMarked
    {
        get
        {
            var since = Volatile.Read(ref _drainingSince);
            return since != 0 && Environment.TickCount64 - since < DrainExpiry.TotalMilliseconds;
        }
    }

    public void WorkArrived()
    {
        lock (_drainGate)
        {
            _drainingSince = 0;
            _drainAgreed = false;
        }
    }

    /// <summary>Ray's DrainNode (<see cref="Grains.INodeEndpoint.DrainIfIdleAsync"/>): marks the node draining first,
    /// then counts what it runs, hosts and owns (the store asked afresh). Work registered before the mark is counted;
    /// work registered after it ends the drain (<see cref="WorkArrived"/>), which the last check sees. Null when the
    /// node drains now; otherwise why it is busy (and it does not drain).</summary>
    public async Task<string?> DrainIfIdleAsync(bool confirm)
    {
        lock (_drainGate)
        {
            if (!IsMarked)
            {
                _drainAgreed = false;
                if (confirm)
                {
                    return "work reached it while it was draining";
                }

                _drainingSince = Math.Max(1, Environment.TickCount64);
            }
        }

        var busy = await BusyReasonAsync().ConfigureAwait(false);
        lock (_drainGate)
        {
            if (busy is null && !IsMarked)
            {
                busy = "work reached it while it was draining";
            }
            else if (busy is not null)
            {
                _drainingSince = 0;
                _drainAgreed = false;
            }
            else
            {
                Volatile.Write(ref _drainAgreed, true);
            }
        }

        return busy;
    }

    private async Task<string?> BusyReasonAsync()
    {
        var scheduler = _runtime.Scheduler;
        var reasons = new List<string>();
        void Add(int count, string what)
        {
            if (count > 0)
            {
                reasons.Add($"{count.ToString(System.Globalization.CultureInfo.InvariantCulture)} {what}");
            }
        }

        Add(scheduler.RunningCount, "running task(s)");
        Add(scheduler.QueuedCount, "queued task(s)");
        Add(_runtime.Foreign.RunningTasks.Count(), "task(s) received from other owners");
        Add(scheduler.Counts.WaitingForArgs, "task(s) waiting for arguments");
        Add(ActorCount, "actor(s)");
        Add(OwnedObjectCount, "owned object(s)");
        if (OwnedObjectCount > 0 && reasons.Count > 0 && _runtime.Objects.Entries.FirstOrDefault() is { } owned)
        {
            reasons[^1] += $" (such as {owned.Id}: {owned.Origin}, {owned.Handles.ToString(System.Globalization.CultureInfo.InvariantCulture)} handle(s))";
        }

        Add(_runtime.Cluster.ParkedDemands().Sum(d => d.Count), "parked task(s)");
        if (!scheduler.Resources.Available().Equals(scheduler.Resources.Total))
        {
            reasons.Add("resources in use");
        }

        if (_runtime.Store is { } store)
        {
            try
            {
                using var deadline = new CancellationTokenSource(ReadDeadline);
                Add((await store.Client.GetStatsAsync(deadline.Token).ConfigureAwait(false)).PrimaryCount, "primary object copy(ies)");
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                reasons.Add($"its object store did not answer ({ex.GetType().Name})");
            }
        }

        return reasons.Count == 0 ? null : string.Join(", ", reasons);
    }

    private async Task ReadAsync(LocalObjectStore store)
    {
        try
        {
            using var deadline = new CancellationTokenSource(ReadDeadline);
            var stats = await store.Client.GetStatsAsync(deadline.Token).ConfigureAwait(false);
            Volatile.Write(ref _primaries, stats.PrimaryCount);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Keep the last count: the store is stopping with the node, or stuck (the dashboard reports that).
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }
}
