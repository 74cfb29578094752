using OrleansRay.Scheduling;

namespace OrleansRay.Tests.Scheduling;

/// <summary>Shapes and claims of placement-group bundles for the ledger tests.</summary>
internal static class BundleClaims
{
    public static ResourceSet Cpus(double n) => ResourceSet.From(new Dictionary<string, double> { ["CPU"] = n });

    /// <summary>A claim of <paramref name="cpus"/> CPUs from bundle <paramref name="index"/> of <paramref name="group"/>
    /// (-1: any bundle).</summary>
    public static ResourceClaim InBundle(Guid group, int index, double cpus) =>
        ResourceClaim.Of(ResourceSet.From(new Dictionary<string, double> { [new BundleKey(group, index).ResourceName("CPU")] = cpus }));
}
