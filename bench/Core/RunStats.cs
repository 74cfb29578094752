using System.Diagnostics;

namespace OrleansRay.Bench.Core;

/// <summary>A poor man's profile of one run, printed to stderr when ORLEANSRAY_BENCH_VERBOSE=1: wall time, process CPU
/// time (how many of the cores were busy), GC collections and GC pause time, and the .NET thread pool's work items
/// (each may wake a thread), and the GC pauses split into suspension, collection and restart (<see cref="GcPhases"/>).</summary>
/// <remarks>CPU near the core count means the run is CPU-bound; well below it means it waits (latency, a lock, a
/// single busy thread). The CPU is the whole process's, other engineers' builds on the machine are not in it.</remarks>
internal readonly struct RunStats
{
    private static readonly bool Verbose = Environment.GetEnvironmentVariable("ORLEANSRAY_BENCH_VERBOSE") == "1";

    private readonly long _startTimestamp;
    private readonly TimeSpan _cpu;
    private readonly int _gen0;
    private readonly int _gen1;
    private readonly int _gen2;
    private readonly TimeSpan _pause;
    private readonly long _allocated;
    private readonly long _poolItems;
    private readonly long _jitted;
    private readonly TimeSpan _jitTime;
    private readonly (TimeSpan Suspend, TimeSpan Collect, TimeSpan Restart, TimeSpan LongestSuspend) _phases;

    private RunStats(long startTimestamp, TimeSpan cpu, int gen0, int gen1, int gen2, TimeSpan pause, long allocated, long poolItems, long jitted, TimeSpan jitTime)
    {
        _jitted = jitted;
        _jitTime = jitTime;
        _poolItems = poolItems;
        _startTimestamp = startTimestamp;
        _cpu = cpu;
        _gen0 = gen0;
        _gen1 = gen1;
        _gen2 = gen2;
        _pause = pause;
        _allocated = allocated;
        _phases = GcPhases.Totals;
    }

    public static RunStats Start() => Verbose && Started()
        ? new RunStats(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(), ThreadPool.CompletedWorkItemCount,
            System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime())
        : default;

    private static bool Started()
    {
        GcPhases.Start();
        return true;
    }

    public void Print(string benchmark)
    {
        if (!Verbose)
        {
            return;
        }

        var wall = Stopwatch.GetElapsedTime(_startTimestamp);
        var cpu = Environment.CpuUsage.TotalTime - _cpu;
        var pause = GC.GetTotalPauseDuration() - _pause;
        var allocated = GC.GetTotalAllocatedBytes() - _allocated;
        var phases = GcPhases.Totals;
        Console.Error.WriteLine(
            $"\n  [{benchmark}] wall {wall.TotalSeconds:F2} s, cpu {cpu.TotalSeconds:F2} s ({cpu / wall:F2} of {Environment.ProcessorCount} cores), " +
            $"gc {GC.CollectionCount(0) - _gen0}/{GC.CollectionCount(1) - _gen1}/{GC.CollectionCount(2) - _gen2} (gen0/1/2), " +
            $"pause {pause.TotalMilliseconds:F0} ms, allocated {allocated / (1024.0 * 1024.0):F0} MiB, " +
            $"thread pool items {ThreadPool.CompletedWorkItemCount - _poolItems:N0} on {ThreadPool.ThreadCount} threads, " +
            $"gc phases: suspend {(phases.Suspend - _phases.Suspend).TotalMilliseconds:F0} ms (longest {phases.LongestSuspend.TotalMilliseconds:F1} ms over the process), " +
            $"collect {(phases.Collect - _phases.Collect).TotalMilliseconds:F0} ms, restart {(phases.Restart - _phases.Restart).TotalMilliseconds:F0} ms, " +
            $"rest of the pauses {(pause - (phases.Suspend - _phases.Suspend) - (phases.Collect - _phases.Collect) - (phases.Restart - _phases.Restart)).TotalMilliseconds:F0} ms, " +
            $"jit {System.Runtime.JitInfo.GetCompiledMethodCount() - _jitted:N0} methods in {(System.Runtime.JitInfo.GetCompilationTime() - _jitTime).TotalMilliseconds:F0} ms");
    }
}
