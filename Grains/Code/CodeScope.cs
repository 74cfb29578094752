namespace OrleansRay.Code;

/// <summary>The job whose code runs on this async flow: set by the invoker around a task or actor method of a job's
/// code package, so values that code passes in (arguments, puts) are packed, and values it reads are unpacked, with that
/// job's serializer.</summary>
internal static class CodeScope
{
    private static readonly AsyncLocal<JobSerializer?> CurrentSlot = new();

    /// <summary>The running job code's serializer, or null outside job code.</summary>
    public static JobSerializer? Current
    {
        get => CurrentSlot.Value;
        set => CurrentSlot.Value = value;
    }
}
