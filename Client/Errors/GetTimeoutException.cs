namespace OrleansRay;

/// <summary>A Get with a timeout ran out before the object was ready.</summary>
[GenerateSerializer, Alias("orleansray.GetTimeoutException")]
public sealed class GetTimeoutException : RayException
{
    /// <summary>Creates the exception for <paramref name="timeout"/>.</summary>
    public GetTimeoutException(TimeSpan timeout, string what)
        : this(timeout, what, null)
    {
    }

    /// <summary>Creates the exception for <paramref name="timeout"/> with the hint of a wait that cannot end by waiting
    /// longer (an actor waiting for a call to itself), instead of the usual one; <paramref name="plural"/> when
    /// <paramref name="what"/> names several objects.</summary>
    internal GetTimeoutException(TimeSpan timeout, string what, string? hint, bool plural = false)
        : base($"{what} {(plural ? "were" : "was")} not ready within {timeout.TotalSeconds:0.###} s. {hint ?? "Wait longer, or check `PendingDemandsAsync()` for work that cannot be scheduled."}")
    {
        Timeout = timeout;
    }

    /// <summary>The timeout that ran out.</summary>
    [Id(0)] public TimeSpan Timeout { get; private set; }
}
