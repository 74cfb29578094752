using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrleansRay.ObjectStore;
using OrleansRay.Node;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The serving node's figures that the runtime's own instruments (<see cref="RayInstruments"/>) do not cover:
/// hosted actors and their calls, tasks received from other owners, bytes held for them, and, for a CLI node whose object
/// store is a separate process, that store's series (meter <see cref="StoreMeterName"/>, the names the store's own
/// instruments use in an embedded node).</summary>
/// <remarks>Observed when a listener collects, from snapshots at most 100 ms old, so one scrape walks the actors (and
/// asks the store) once. <c>orleansray.actors.calls</c> stays monotonic when a dead actor leaves the node's bounded
/// registry: the calls of actors no longer listed are kept in a running total.</remarks>
internal sealed class NodeInstruments : IDisposable
{
    /// <summary>The object store's meter (<c>ObjectStoreInstruments.MeterName</c>).</summary>
    public const string StoreMeterName = "OrleansRay.ObjectStore";

    // A scrape reads every instrument within microseconds: 100 ms keeps it to one snapshot.
    private static readonly TimeSpan SnapshotAge = TimeSpan.FromMilliseconds(100);

    private readonly NodeRuntime _runtime;
    private readonly Func<CancellationToken, Task<ObjectStoreStats?>>? _storeStats;
    private readonly Meter _meter;
    private readonly Meter? _storeMeter;
    private readonly Lock _gate = new();
    private readonly Lock _storeGate = new();
    private Dictionary<ActorId, long> _callsSeen = [];
    private long _callsOfGone;
    private ActorFigures? _actors;
    private long _actorsAt;
    private ObjectStoreStats? _store;
    private long _storeAt;

    /// <param name="runtime">The node's runtime.</param>
    /// <param name="storeStats">Reads the node's store process (a CLI node); null when the store runs in this process
    /// and reports through its own instruments (an embedded node).</param>
    public NodeInstruments(NodeRuntime runtime, Func<CancellationToken, Task<ObjectStoreStats?>>? storeStats = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        _storeStats = storeStats;
        _meter = new Meter(RayInstruments.MeterName);
        _meter.CreateObservableGauge("orleansray.actors.hosted", ActorsByState, "{actor}", "Actors hosted on this node, by state (dead ones: the latest the node keeps).");
        _meter.CreateObservableGauge("orleansray.actors.pending_calls", () => Measure(Actors().PendingCalls), "{call}", "Actor calls accepted and not yet run on this node.");
        _meter.CreateObservableCounter("orleansray.actors.calls", () => Measure(_runtime.ActorServices.ActorCallsRun), "{call}", "Actor calls run on this node (counted by the runtime as each call finishes).");
        _meter.CreateObservableCounter("orleansray.scheduler.tasks_received", () => Measure(_runtime.Foreign.Received), "{task}", "Tasks other owners (drivers, nodes) sent to this node.");
        _meter.CreateObservableGauge("orleansray.node.managed_heap_bytes", () => Measure(GC.GetTotalMemory(false)), "By", "Bytes of the node process' managed heap (large values live in the object store, not here).");
        if (storeStats is null)
        {
            return;
        }

        _storeMeter = new Meter(StoreMeterName);
        _storeMeter.CreateObservableGauge("orleansray.objectstore.capacity", () => Store(s => s.Capacity), "By", "Usable arena bytes.");
        _storeMeter.CreateObservableGauge("orleansray.objectstore.used_bytes", () => Store(s => s.UsedBytes), "By", "Arena bytes held by objects.");
        _storeMeter.CreateObservableGauge("orleansray.objectstore.objects", () => Store(s => s.ObjectCount), "{object}", "Objects in the table (in memory or spilled).");
        _storeMeter.CreateObservableGauge("orleansray.objectstore.spilled_objects", () => Store(s => s.SpilledCount), "{object}", "Objects spilled to disk.");
        _storeMeter.CreateObservableGauge("orleansray.objectstore.spilled_bytes", () => Store(s => s.SpilledBytes), "By", "Bytes spilled to disk.");
        _storeMeter.CreateObservableCounter("orleansray.objectstore.evictions", () => Store(s => s.EvictionCount), "{object}", "Secondary copies dropped to make room.");
        _storeMeter.CreateObservableCounter("orleansray.objectstore.spills", () => Store(s => s.SpillCount), "{object}", "Primary copies spilled to disk.");
        _storeMeter.CreateObservableCounter("orleansray.objectstore.restores", () => Store(s => s.RestoreCount), "{object}", "Spilled objects read back.");
        _storeMeter.CreateObservableCounter("orleansray.objectstore.pull_bytes", () => Store(s => s.PullBytesReceived), "By", "Bytes received from peers.");
        _storeMeter.CreateObservableCounter("orleansray.objectstore.sent_bytes", () => Store(s => s.TransferBytesSent), "By", "Bytes sent to peers.");
    }

    public void Dispose()
    {
        _meter.Dispose();
        _storeMeter?.Dispose();
    }

    private KeyValuePair<string, object?> NodeTag => new("node", _runtime.NodeId.Value ?? string.Empty);

    private Measurement<long> Measure(long value) => new(value, NodeTag);

    private IEnumerable<Measurement<int>> ActorsByState()
    {
        var figures = Actors();
        return Enum.GetValues<ActorState>().Select(state =>
            new Measurement<int>(figures.ByState.GetValueOrDefault(state), NodeTag, new KeyValuePair<string, object?>("state", state.ToString().ToUpperInvariant())));
    }

    private ActorFigures Actors()
    {
        lock (_gate)
        {
            if (_actors is not null && Stopwatch.GetElapsedTime(_actorsAt) < SnapshotAge)
            {
                return _actors;
            }

            var hosted = _runtime.ActorServices.HostedActors.Snapshot();
            var seen = new Dictionary<ActorId, long>(hosted.Length);
            foreach (var actor in hosted)
            {
                seen[actor.Info.ActorId] = actor.CallsRun;
            }

            foreach (var (id, calls) in _callsSeen)
            {
                if (!seen.ContainsKey(id))
                {
                    _callsOfGone += calls;
                }
            }

            _callsSeen = seen;
            _actors = new ActorFigures(
                hosted.GroupBy(a => a.Info.State).ToDictionary(g => g.Key, g => g.Count()),
                hosted.Sum(a => (long)a.PendingCalls),
                _callsOfGone + seen.Values.Sum());
            _actorsAt = Stopwatch.GetTimestamp();
            return _actors;
        }
    }

    private IEnumerable<Measurement<long>> Store(Func<ObjectStoreStats, long> figure)
    {
        var stats = StoreStats();
        return stats is null ? [] : [new Measurement<long>(figure(stats), NodeTag)];
    }

    /// <summary>The store process' figures, at most 100 ms old; null while it does not answer (its series are then
    /// left out of the scrape rather than shown as zero).</summary>
    private ObjectStoreStats? StoreStats()
    {
        lock (_storeGate)
        {
            if (_storeAt != 0 && Stopwatch.GetElapsedTime(_storeAt) < SnapshotAge)
            {
                return _store;
            }

            try
            {
                // Blocks the scrape's thread: collection callbacks are synchronous, and the store answers over a local
                // socket in microseconds (NodeObjectStore bounds it at 1 s). The exporter calls from a request thread,
                // never from a grain.
                _store = _storeStats!(CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // NodeObjectStore logged it; the dashboard shows it.
                _store = null;
            }

            _storeAt = Stopwatch.GetTimestamp();
            return _store;
        }
    }

    private sealed record ActorFigures(Dictionary<ActorState, int> ByState, long PendingCalls, long CallsRun);
}
