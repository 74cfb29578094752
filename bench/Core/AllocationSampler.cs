using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace OrleansRay.Bench.Core;

/// <summary>Which types the allocation rows' calls allocate, printed to stderr when ORLEANSRAY_BENCH_ALLOCTYPES=N (N
/// calls sampled): the runtime's <c>GCAllocationTick</c> events (one per ~100 KB allocated, naming the type whose
/// allocation crossed the mark), so each type's share of the samples estimates its share of the bytes.</summary>
/// <remarks>A diagnostic for issue 18's allocation work, not a measurement: the rows' figures come from
/// <see cref="GC.GetTotalAllocatedBytes(bool)"/> deltas. Needs about 200 MB allocated for ~2,000 samples.</remarks>
internal sealed class AllocationSampler : EventListener
{
    public static readonly int Calls = int.TryParse(Environment.GetEnvironmentVariable("ORLEANSRAY_BENCH_ALLOCTYPES"), out var n) ? n : 0;

    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private long _samples;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick at verbose
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload![t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload![a]) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
        Interlocked.Increment(ref _samples);
    }

    public void Print(string row, int calls)
    {
        var total = _bytes.Values.Sum();
        Console.Error.WriteLine($"\n  [{row}] allocation samples {Interlocked.Read(ref _samples):N0} over {calls:N0} calls, by type (share of sampled bytes, ≈ bytes per call):");
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(40))
        {
            Console.Error.WriteLine($"    {100.0 * bytes / total,5:F1}%  {(double)bytes / calls,7:F1} B  {type}");
        }
    }
}
