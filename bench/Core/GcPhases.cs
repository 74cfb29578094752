using System.Diagnostics.Tracing;

namespace OrleansRay.Bench.Core;

/// <summary>Where the GC's pauses go, summed over the process's life while ORLEANSRAY_BENCH_VERBOSE=1: the time to
/// suspend the managed threads (from the runtime's <c>GCSuspendEEBegin</c> to <c>GCSuspendEEEnd</c>), the collections
/// themselves (<c>GCStart</c> to <c>GCEnd</c>) and the restart (<c>GCRestartEEBegin</c> to <c>GCRestartEEEnd</c>).
/// What <see cref="GC.GetTotalPauseDuration"/> counts beyond these three is the hand-offs between them (with server GC,
/// waking the GC threads and joining them).</summary>
/// <remarks>A diagnostic for issue 18's busy point: a suspension waits for every thread running managed code to reach
/// a safe point, and on a machine whose cores are all busy a thread the OS has preempted reaches it only when it runs
/// again. <see cref="RunStats"/> prints the deltas per run. The runtime's GC events come at the Informational level of
/// its GC keyword, a handful per collection.</remarks>
internal sealed class GcPhases : EventListener
{
    private static GcPhases? s_instance;

    private readonly object _gate = new();
    private DateTime _suspendBegin;
    private DateTime _gcStart;
    private DateTime _restartBegin;
    private long _suspendTicks;
    private long _collectTicks;
    private long _restartTicks;
    private long _longestSuspendTicks;

    /// <summary>Starts listening (once per process).</summary>
    public static void Start() => LazyInitializer.EnsureInitialized(ref s_instance);

    /// <summary>The sums so far: suspension, collection and restart time, and the longest single suspension.</summary>
    public static (TimeSpan Suspend, TimeSpan Collect, TimeSpan Restart, TimeSpan LongestSuspend) Totals
    {
        get
        {
            if (s_instance is not { } phases)
            {
                return default;
            }

            lock (phases._gate)
            {
                return (new TimeSpan(phases._suspendTicks), new TimeSpan(phases._collectTicks), new TimeSpan(phases._restartTicks), new TimeSpan(phases._longestSuspendTicks));
            }
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name)
        {
            return;
        }

        var at = eventData.TimeStamp;
        lock (_gate)
        {
            if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
            {
                _suspendBegin = at;
            }
            else if (name.StartsWith("GCSuspendEEEnd", StringComparison.Ordinal) && _suspendBegin != default)
            {
                var ticks = (at - _suspendBegin).Ticks;
                _suspendTicks += ticks;
                _longestSuspendTicks = Math.Max(_longestSuspendTicks, ticks);
                _suspendBegin = default;
            }
            else if (name.StartsWith("GCStart", StringComparison.Ordinal))
            {
                _gcStart = at;
            }
            else if (name.StartsWith("GCEnd", StringComparison.Ordinal) && _gcStart != default)
            {
                _collectTicks += (at - _gcStart).Ticks;
                _gcStart = default;
            }
            else if (name.StartsWith("GCRestartEEBegin", StringComparison.Ordinal))
            {
                _restartBegin = at;
            }
            else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && _restartBegin != default)
            {
                _restartTicks += (at - _restartBegin).Ticks;
                _restartBegin = default;
            }
        }
    }
}
