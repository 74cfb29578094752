using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>Holds the requested resources and the autoscaler loop's last round, on the head next to the loop
/// (<see cref="HeadPlacementAttribute"/>). In memory: the loop reports every round, and a head restart restarts the
/// loop; requested resources are lost with the head, as Ray's are with its GCS when not fault tolerant.</summary>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.autoscaler")] // not Orleans' default "autoscaler": an application grain class of that name would clash (hosting)
internal sealed class AutoscalerGrain : Grain, IAutoscalerGrain
{
    private IReadOnlyList<ResourceSet> _requested = [];
    private AutoscalerStatus? _status;

    public Task RequestResourcesAsync(IReadOnlyList<ResourceSet> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        _requested = bundles.ToArray();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ResourceSet>> RequestedResourcesAsync() => Task.FromResult(_requested);

    public Task ReportAsync(AutoscalerStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        _status = status;
        return Task.CompletedTask;
    }

    public Task<AutoscalerStatus?> StatusAsync() => Task.FromResult(_status);
}
