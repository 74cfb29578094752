namespace OrleansRay.Grains;

/// <summary>The autoscaler's state on the head (key 0): the capacity applications asked for ahead of work (Ray's
/// <c>request_resources</c>) and the autoscaler loop's last round (Ray's "Pending" and "Recent failures" status
/// sections). The loop runs on the head when it was started with an autoscaling config; without one, the requested
/// bundles are kept but nothing acts on them and <see cref="StatusAsync"/> returns null.</summary>
[Alias("orleansray.IAutoscalerGrain")]
public interface IAutoscalerGrain : IGrainWithIntegerKey
{
    /// <summary>Replaces the requested bundles (Ray's <c>request_resources(bundles=...)</c>: each call replaces the
    /// previous request; an empty list withdraws it).</summary>
    [Alias("RequestResources")]
    Task RequestResourcesAsync(IReadOnlyList<ResourceSet> bundles);

    /// <summary>The bundles last requested (empty when none).</summary>
    [Alias("RequestedResources")]
    Task<IReadOnlyList<ResourceSet>> RequestedResourcesAsync();

    /// <summary>Records the loop's last round (the loop calls it every round).</summary>
    [Alias("Report")]
    Task ReportAsync(AutoscalerStatus status);

    /// <summary>The loop's last round; null when no autoscaler runs (the head has no autoscaling config).</summary>
    [Alias("Status")]
    Task<AutoscalerStatus?> StatusAsync();
}
