using System.Globalization;
using OrleansRay.Grains;

namespace OrleansRay;

/// <summary>Ray's <c>ray.autoscaler.sdk.request_resources</c>: this side validates and turns the request into bundles;
/// the head's <see cref="IAutoscalerGrain"/> keeps it for the autoscaler loop.</summary>
internal abstract partial class RayInstance
{
    public async Task RequestResourcesAsync(int? numCpus = null, IEnumerable<Bundle>? bundles = null, CancellationToken cancellationToken = default)
    {
        var shapes = ToRequestedBundles(numCpus, bundles);
        cancellationToken.ThrowIfCancellationRequested();
        Runtime.ThrowIfDisposed();
        await Runtime.GrainFactory.GetGrain<IAutoscalerGrain>(0).RequestResourcesAsync(shapes).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ray's expansion of a request: <paramref name="numCpus"/> N gives N bundles of {"CPU": 1}, followed by
    /// <paramref name="bundles"/>; both null or empty give none (the request is withdrawn).</summary>
    internal static IReadOnlyList<ResourceSet> ToRequestedBundles(int? numCpus, IEnumerable<Bundle>? bundles)
    {
        if (numCpus is < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(numCpus),
                numCpus,
                $"num_cpus = {numCpus.Value.ToString(CultureInfo.InvariantCulture)}: the number of CPUs to request must be >= 0 (null or 0 requests none).");
        }

        var shapes = new List<ResourceSet>();
        if (numCpus is > 0)
        {
            var oneCpu = ResourceSet.From(new Dictionary<string, double> { ["CPU"] = 1 });
            shapes.AddRange(Enumerable.Repeat(oneCpu, numCpus.Value));
        }

        if (bundles is not null)
        {
            var i = 0;
            foreach (var bundle in bundles)
            {
                shapes.Add((bundle ?? throw new ArgumentException($"Bundle {i} is null; pass a bundle such as new Bundle {{ [\"CPU\"] = 1 }} or leave it out.", nameof(bundles))).ToResourceSet(i));
                i++;
            }
        }

        return shapes;
    }
}
