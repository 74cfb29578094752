using System.Diagnostics;

namespace OrleansRay.Bench.Core;

/// <summary>The peak resident memory (working set) of this process between <see cref="Start"/> and <see cref="Stop"/>.</summary>
/// <remarks>
/// On Linux the kernel's own high-water mark (VmHWM, what <see cref="Process.PeakWorkingSet64"/> reads) is reset at
/// start by writing "5" to /proc/self/clear_refs, so the figure is the exact peak of this interval, not of the whole
/// process life. Where that reset is refused, the figure is the maximum of <see cref="Environment.WorkingSet"/>
/// sampled every 5 ms, which can miss a short spike. Either way it is the whole process: the embedded silo, the
/// runtime and anything earlier benchmarks left alive (a full GC runs first).
/// </remarks>
internal sealed class PeakMemorySampler : IDisposable
{
    private readonly Thread _thread;
    private readonly bool _kernelPeakReset;
    private volatile bool _stopped;
    private long _sampledPeak;

    private PeakMemorySampler()
    {
        Harness.Harness.CollectGarbage();
        Baseline = Environment.WorkingSet;
        _sampledPeak = Baseline;
        _kernelPeakReset = TryResetKernelPeak();
        _thread = new Thread(Sample) { IsBackground = true, Name = "bench peak memory sampler" };
        _thread.Start();
    }

    /// <summary>Working set right after the full GC at start, in bytes.</summary>
    public long Baseline { get; }

    /// <summary>Peak working set of the interval, in bytes; valid after <see cref="Stop"/>.</summary>
    public long Peak { get; private set; }

    /// <summary>"kernel VmHWM" or "5 ms sampling": how <see cref="Peak"/> was measured.</summary>
    public string Method => _kernelPeakReset ? "kernel VmHWM reset at start" : "5 ms sampling of the working set";

    public static PeakMemorySampler Start() => new();

    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _thread.Join();
        var peak = Math.Max(Interlocked.Read(ref _sampledPeak), Environment.WorkingSet);
        if (_kernelPeakReset)
        {
            using var self = Process.GetCurrentProcess();
            peak = Math.Max(peak, self.PeakWorkingSet64);
        }

        Peak = peak;
    }

    public void Dispose() => Stop();

    private void Sample()
    {
        while (!_stopped)
        {
            var now = Environment.WorkingSet;
            if (now > Interlocked.Read(ref _sampledPeak))
            {
                Interlocked.Exchange(ref _sampledPeak, now);
            }

            Thread.Sleep(5);
        }
    }

    private static bool TryResetKernelPeak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            // "5" resets the peak RSS (VmHWM) of the process (Linux >= 4.0, proc(5)).
            File.WriteAllText("/proc/self/clear_refs", "5");
            using var self = Process.GetCurrentProcess();
            // The reset took if the high-water mark now sits near the current working set.
            return self.PeakWorkingSet64 <= Environment.WorkingSet + (64L << 20);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
