namespace OrleansRay.Code;

/// <summary>The job whose code runs on this async flow: set by the invoker around a task or actor method of a job's
/// code package, so values that code passes in (arguments, puts) are packed, and values it reads are unpacked, with that
/// job's serializer.</summary>
/// <remarks>The flow holds the serializer weakly: an execution context captured inside job code (a thread or loop the
/// runtime starts while serving it) may outlive the job, and a strong reference there would keep the job's load context
/// from ever unloading. The running function holds its serializer strongly meanwhile.</remarks>
internal static class CodeScope
{
    private static readonly AsyncLocal<WeakReference<JobSerializer>?> CurrentSlot = new();

    /// <summary>Job code packages loaded in this process: while there is none (an embedded node, a driver), no flow can
    /// be in job code, and the hot path skips reading the flow's state.</summary>
    private static int _loaded;

    /// <summary>The running job code's serializer, or null outside job code.</summary>
    public static JobSerializer? Current
    {
        get => Volatile.Read(ref _loaded) != 0 && CurrentSlot.Value is { } weak && weak.TryGetTarget(out var serializer) ? serializer : null;
        set
        {
            if (value is not null || CurrentSlot.Value is not null)
            {
                CurrentSlot.Value = value?.Weak;
            }
        }
    }

    /// <summary>A package was loaded in this process.</summary>
    public static void PackageLoaded() => Interlocked.Increment(ref _loaded);

    /// <summary>A package was unloaded in this process.</summary>
    public static void PackageUnloaded() => Interlocked.Decrement(ref _loaded);
}
