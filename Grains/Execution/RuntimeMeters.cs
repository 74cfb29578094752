using System.Diagnostics.Metrics;

namespace OrleansRay.Execution;

/// <summary>Instruments recorded on the hot path (not observable counters): only when a listener collects them
/// (<see cref="Instrument.Enabled"/>), so an unobserved node pays one branch.</summary>
internal static class RuntimeMeters
{
    /// <summary>The name of OrleansRay's meter (every runtime instrument is on it).</summary>
    public const string MeterName = "OrleansRay";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Seconds from a task being ready (arguments resolved, queued) to its start on a worker.</summary>
    public static readonly Histogram<double> SchedulingLatency = Meter.CreateHistogram<double>(
        "orleansray.scheduler.scheduling_latency", "s", "Time from a task being ready to run (arguments present) to its start on a worker.");
}
