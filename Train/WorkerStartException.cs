namespace OrleansRay.Train;

/// <summary>A worker actor of bundle <see cref="BundleIndex"/> could not start (its class failed to load, its node died
/// before it ran).</summary>
internal sealed class WorkerStartException : Exception
{
    public WorkerStartException(int bundleIndex, Exception cause)
        : base($"The worker of bundle {bundleIndex} could not start: {cause.Message}", cause) => BundleIndex = bundleIndex;

    public int BundleIndex { get; }
}
