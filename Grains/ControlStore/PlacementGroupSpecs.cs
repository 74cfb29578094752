using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The rules a <see cref="PlacementGroupSpec"/> meets before a <see cref="PlacementGroupGrain"/> records it, and
/// when a second creation of the same group is the same one.</summary>
internal static class PlacementGroupSpecs
{
    /// <summary>Throws unless the spec has bundles, each asking for something, and a known strategy.</summary>
    /// <exception cref="ArgumentException">The spec is invalid.</exception>
    public static void Validate(PlacementGroupSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Bundles is null || spec.Bundles.Length == 0)
        {
            throw new ArgumentException("A placement group needs at least one bundle.", nameof(spec));
        }

        for (var i = 0; i < spec.Bundles.Length; i++)
        {
            if (spec.Bundles[i] is null || spec.Bundles[i].IsEmpty)
            {
                throw new ArgumentException($"Bundle {i} asks for no resources; every bundle needs at least one positive amount.", nameof(spec));
            }
        }

        if (!Enum.IsDefined(spec.Strategy))
        {
            throw new ArgumentException($"Unknown placement strategy {spec.Strategy}.", nameof(spec));
        }
    }

    /// <summary>True when <paramref name="b"/> asks for the group <paramref name="a"/> describes (a repeated creation):
    /// same name, strategy, bundles, job and lifetime.</summary>
    public static bool Same(PlacementGroupSpec a, PlacementGroupSpec b) =>
        a.Strategy == b.Strategy && string.Equals(a.Name, b.Name, StringComparison.Ordinal) && a.Bundles.SequenceEqual(b.Bundles)
        && string.Equals(a.Job, b.Job, StringComparison.Ordinal) && a.Detached == b.Detached;
}
