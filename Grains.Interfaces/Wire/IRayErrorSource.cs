namespace OrleansRay;

/// <summary>An exception that already carries a <see cref="RayError"/> (every RayException does), so a task that rethrows it
/// propagates the original failure instead of wrapping it again.</summary>
public interface IRayErrorSource
{
    /// <summary>The carried error, or null when the exception was made locally without one.</summary>
    RayError? Error { get; }
}
