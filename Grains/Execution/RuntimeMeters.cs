using System.Diagnostics.Metrics;

namespace OrleansRay.Execution;

/// <summary>Instruments recorded on the hot path (not observable counters): only when a listener collects them
/// (<see cref="Instrument.Enabled"/>), so an unobserved node pays one branch.</summary>
internal static class RuntimeMeters
{
    /// <summary>The name of OrleansRay's meter (every runtime instrument is on it).</summary>
    public const string MeterName = "OrleansRay";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Bucket bounds of <see cref="SchedulingLatency"/>, in seconds: 10 µs to 60 s. Without them OpenTelemetry's
    /// defaults (0, 5, 10, … 10,000, made for milliseconds) put every task below 5 s, in one bucket.</summary>
    internal static readonly double[] SchedulingLatencyBuckets =
        [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60];

    /// <summary>Seconds from a task being ready (arguments resolved, queued) to its start on a worker.</summary>
    public static readonly Histogram<double> SchedulingLatency = Meter.CreateHistogram<double>(
        "orleansray.scheduler.scheduling_latency", "s", "Time from a task being ready to run (arguments present) to its start on a worker.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SchedulingLatencyBuckets });
}
