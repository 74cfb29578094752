namespace OrleansRay.Train;

/// <summary>Sorts a failed call of Train's into kinds: which exceptions mean a call to the cluster did not get through
/// (the actor or its node died, the node the driver talks through went away, or the call timed out), as opposed to a
/// bug to let fly; and which mean the driver itself shut down.</summary>
/// <remarks>Not the runtime's <c>OrleansRay.Transport.CallFailures</c>, which words why a call failed for messages:
/// this one decides what Train does next.</remarks>
internal static class CallFailureKinds
{
    /// <summary>True for <see cref="RayException"/> (actor died, task failed, ...), Orleans'
    /// <see cref="Orleans.Runtime.SiloUnavailableException"/> and <see cref="TimeoutException"/>.</summary>
    public static bool IsLost(Exception exception) =>
        exception is RayException or Orleans.Runtime.SiloUnavailableException or TimeoutException;

    /// <summary>True when the driver's own <see cref="IRay"/> refused the call: it is being or was disposed, or its node
    /// shut down (<see cref="ObjectDisposedException"/>, "The OrleansRay node has shut down."). Its job's actors, the
    /// run's among them, are killed with it, so no rank is to blame: the run ends with this exception, unwrapped.</summary>
    public static bool IsShutDown(Exception exception) => exception is ObjectDisposedException;

    /// <summary>True for a cleanup call that found nothing left to clean: <see cref="IsLost"/> or <see cref="IsShutDown"/>.</summary>
    public static bool IsGone(Exception exception) => IsLost(exception) || IsShutDown(exception);
}
