using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Hosting;

/// <summary>The store's metrics (meter <c>OrleansRay.ObjectStore</c>), observed from table snapshots.</summary>
/// <remarks>One snapshot serves every instrument of a collection: a snapshot walks the table under its lock.</remarks>
internal sealed class ObjectStoreInstruments : IDisposable
{
    public const string MeterName = "OrleansRay.ObjectStore";

    // Collections read all instruments within microseconds; 100 ms keeps a scrape to one table walk.
    private static readonly TimeSpan SnapshotAge = TimeSpan.FromMilliseconds(100);

    private readonly Meter _meter;
    private readonly StoreCore _core;
    private readonly object _lock = new();
    private ObjectStoreStats? _snapshot;
    private long _takenAt;

    public ObjectStoreInstruments(StoreCore core)
    {
        _core = core;
        _meter = new Meter(MeterName);
        _meter.CreateObservableGauge("orleansray.objectstore.capacity", () => Stats().Capacity, "By", "Usable arena bytes.");
        _meter.CreateObservableGauge("orleansray.objectstore.used_bytes", () => Stats().UsedBytes, "By", "Arena bytes held by objects.");
        _meter.CreateObservableGauge("orleansray.objectstore.objects", () => Stats().ObjectCount, "{object}", "Objects in the table (in memory or spilled).");
        _meter.CreateObservableGauge("orleansray.objectstore.spilled_objects", () => Stats().SpilledCount, "{object}", "Objects spilled to disk.");
        _meter.CreateObservableGauge("orleansray.objectstore.spilled_bytes", () => Stats().SpilledBytes, "By", "Bytes spilled to disk.");
        _meter.CreateObservableGauge("orleansray.objectstore.pinned_objects", () => Stats().PinnedCount, "{object}", "Objects pinned by readers.");
        _meter.CreateObservableGauge("orleansray.objectstore.clients", () => Stats().SessionCount, "{client}", "Connected clients and transfers.");
        _meter.CreateObservableCounter("orleansray.objectstore.evictions", () => Stats().EvictionCount, "{object}", "Secondary copies dropped to make room.");
        _meter.CreateObservableCounter("orleansray.objectstore.spills", () => Stats().SpillCount, "{object}", "Primary copies spilled to disk.");
        _meter.CreateObservableCounter("orleansray.objectstore.restores", () => Stats().RestoreCount, "{object}", "Spilled objects read back.");
        _meter.CreateObservableCounter("orleansray.objectstore.pulls", () => Stats().PullCount, "{object}", "Objects pulled from peers.");
        _meter.CreateObservableCounter("orleansray.objectstore.pull_bytes", () => Stats().PullBytesReceived, "By", "Bytes received from peers.");
        _meter.CreateObservableCounter("orleansray.objectstore.sent_bytes", () => Stats().TransferBytesSent, "By", "Bytes sent to peers.");
    }

    public void Dispose() => _meter.Dispose();

    private ObjectStoreStats Stats()
    {
        lock (_lock)
        {
            if (_snapshot is null || Stopwatch.GetElapsedTime(_takenAt) > SnapshotAge)
            {
                _snapshot = _core.GetStats();
                _takenAt = Stopwatch.GetTimestamp();
            }

            return _snapshot;
        }
    }
}
