using OrleansRay.Execution;
using System.Diagnostics.Metrics;

namespace OrleansRay.Node;

/// <summary>The node runtime's counters as <see cref="System.Diagnostics.Metrics"/> instruments (meter
/// <see cref="MeterName"/>), read when a listener collects: nothing is added to the scheduler's hot path.</summary>
/// <remarks>Every measurement carries a <c>node</c> tag (the node id, empty until the silo has started). Prometheus
/// names: dots become underscores and counters get <c>_total</c> (<c>orleansray_scheduler_tasks_submitted_total</c>).</remarks>
internal sealed class RayInstruments : IDisposable
{
    /// <summary>The meter every OrleansRay instrument belongs to.</summary>
    public const string MeterName = RuntimeMeters.MeterName;

    private readonly NodeRuntime _runtime;

    public RayInstruments(NodeRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        Meter = new Meter(MeterName);
        Meter.CreateObservableCounter("orleansray.scheduler.tasks_submitted", () => Measure(_runtime.Scheduler.Counts.Submitted), "{task}", "Tasks this node owns, submitted by code running on it (its embedded driver, its tasks and actors); tasks sent by connected drivers and other nodes count in tasks_received.");
        Meter.CreateObservableCounter("orleansray.scheduler.tasks_finished", () => Measure(_runtime.Scheduler.Counts.Finished), "{task}", "Tasks that finished successfully on this node (failures count in tasks_failed).");
        Meter.CreateObservableCounter("orleansray.scheduler.tasks_failed", () => Measure(_runtime.Scheduler.Counts.Failed), "{task}", "Tasks that failed on this node.");
        Meter.CreateObservableGauge("orleansray.scheduler.tasks_queued", () => Measure(_runtime.Scheduler.QueuedCount), "{task}", "Tasks whose arguments are ready, waiting for resources (the queue depth).");
        Meter.CreateObservableGauge("orleansray.scheduler.tasks_waiting_for_args", () => Measure(_runtime.Scheduler.Counts.WaitingForArgs), "{task}", "Tasks waiting for their object arguments.");
        Meter.CreateObservableGauge("orleansray.scheduler.tasks_running", () => Measure(_runtime.Scheduler.RunningCount), "{task}", "Leases running tasks now.");
        Meter.CreateObservableGauge("orleansray.objects.owned", () => Measure(_runtime.Objects.Count), "{object}", "Objects owned by this node (pending, inline or in the store).");
        Meter.CreateObservableCounter("orleansray.transfer.pulled_bytes", () => Measure(_runtime.Values.PulledBytes), "By", "Bytes of stored objects this runtime pulled (or fetched) from other nodes' stores.");
    }

    /// <summary>The meter (disposed with this instance).</summary>
    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();

    private Measurement<long> Measure(long value) => new(value, new KeyValuePair<string, object?>("node", _runtime.NodeId.Value ?? string.Empty));

    private Measurement<int> Measure(int value) => new(value, new KeyValuePair<string, object?>("node", _runtime.NodeId.Value ?? string.Empty));
}
