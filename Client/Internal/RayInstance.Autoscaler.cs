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
        ThrowIfDisposed();
        await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IAutoscalerGrain>(0).RequestResourcesAsync(shapes).WaitAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The most bundles one request may hold (<c>numCpus</c> plus <c>bundles</c>): the request travels to the
    /// head in one message and the autoscaler fits each bundle every round, so a request is a cluster's shape, not a
    /// count of tasks. 10,000 1-CPU bundles is a 10,000-CPU cluster; ask for larger bundles beyond that.</summary>
    internal const int MaxRequestedBundles = 10_000;

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

        if (numCpus > MaxRequestedBundles)
        {
            throw new ArgumentOutOfRangeException(
                nameof(numCpus),
                numCpus,
                $"num_cpus = {numCpus.Value.ToString(CultureInfo.InvariantCulture)}: a request holds at most {MaxRequestedBundles.ToString(CultureInfo.InvariantCulture)} bundles (num_cpus gives one 1-CPU bundle per CPU); for more, pass larger bundles such as new Bundle {{ [\"CPU\"] = 64 }}.");
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
                if (shapes.Count == MaxRequestedBundles)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(bundles),
                        $"The request holds more than {MaxRequestedBundles.ToString(CultureInfo.InvariantCulture)} bundles (num_cpus plus bundles), the most one request may hold; pass fewer, larger bundles such as new Bundle {{ [\"CPU\"] = 64 }}.");
                }

                shapes.Add((bundle ?? throw new ArgumentException($"Bundle {i} is null; pass a bundle such as new Bundle {{ [\"CPU\"] = 1 }} or leave it out.", nameof(bundles))).ToResourceSet(i));
                i++;
            }
        }

        return shapes;
    }
}
