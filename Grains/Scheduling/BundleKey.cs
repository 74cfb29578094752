using System.Globalization;

namespace OrleansRay.Scheduling;

/// <summary>One placement-group bundle on a node, or (<see cref="BundleIndex"/> = <see cref="AnyBundle"/>) the group's
/// pool there, which a task that may use any of the group's bundles draws from.</summary>
/// <remarks>
/// Shapes name bundle resources by Ray's convention, <c>CPU_group_0_{pg}</c> for bundle 0 and <c>CPU_group_{pg}</c> for the
/// pool: those names travel with a task to the node holding its bundle, lead the cluster placer there (only that node
/// reports them), and show in the cluster's resources, as in Ray. <see cref="ResourceName"/> writes them and
/// <see cref="TryParse"/> reads them back, once per shape; inside the scheduler bundles are kept by key in a
/// <see cref="BundleLedger"/>.
/// </remarks>
internal readonly record struct BundleKey
{
    /// <summary>The bundle index of the group's pool on a node (Ray's wildcard bundle).</summary>
    public const int AnyBundle = -1;

    private const string Infix = "_group_";

    /// <summary>Length of a Guid written "N" (32 hex digits).</summary>
    private const int GuidLength = 32;

    public BundleKey(Guid placementGroupId, int bundleIndex)
    {
        if (placementGroupId == Guid.Empty)
        {
            throw new ArgumentException("A placement group id cannot be empty.", nameof(placementGroupId));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(bundleIndex, AnyBundle);
        PlacementGroupId = placementGroupId;
        BundleIndex = bundleIndex;
    }

    public Guid PlacementGroupId { get; }

    /// <summary>The bundle's index in its group, or <see cref="AnyBundle"/> for the group's pool.</summary>
    public int BundleIndex { get; }

    /// <summary>True for the group's pool rather than one bundle.</summary>
    public bool IsGroupPool => BundleIndex == AnyBundle;

    /// <summary>The name <paramref name="resource"/> takes inside this bundle (Ray's: <c>CPU_group_0_{pg}</c>, or
    /// <c>CPU_group_{pg}</c> for the pool).</summary>
    public string ResourceName(string resource) => IsGroupPool
        ? $"{resource}{Infix}{PlacementGroupId:N}"
        : $"{resource}{Infix}{BundleIndex.ToString(CultureInfo.InvariantCulture)}_{PlacementGroupId:N}";

    /// <summary>Reads a name written by <see cref="ResourceName"/>: the plain resource and the bundle. False for a
    /// node resource ("CPU", "memory", a custom one).</summary>
    public static bool TryParse(string name, out string resource, out BundleKey key)
    {
        resource = name;
        key = default;

        // "{resource}_group_{pg}" or "{resource}_group_{index}_{pg}", with a resource name of at least one character.
        if (name.Length < 1 + Infix.Length + GuidLength || name[^(GuidLength + 1)] != '_'
            || !Guid.TryParseExact(name.AsSpan(name.Length - GuidLength), "N", out var groupId) || groupId == Guid.Empty)
        {
            return false;
        }

        var head = name.AsSpan(0, name.Length - GuidLength - 1); // "{resource}_group" or "{resource}_group_{index}"
        var index = AnyBundle;
        if (!head.EndsWith(Infix.AsSpan(0, Infix.Length - 1), StringComparison.Ordinal))
        {
            var separator = head.LastIndexOf('_');
            if (separator < 0 || !int.TryParse(head[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out index))
            {
                return false;
            }

            head = head[..(separator + 1)]; // "{resource}_group_"
            if (!head.EndsWith(Infix, StringComparison.Ordinal))
            {
                return false;
            }

            head = head[..^1];
        }

        head = head[..^(Infix.Length - 1)];
        if (head.IsEmpty)
        {
            return false;
        }

        resource = head.ToString();
        key = new BundleKey(groupId, index);
        return true;
    }

    public override string ToString() =>
        IsGroupPool ? $"placement group {PlacementGroupId:N} (any bundle)" : $"bundle {BundleIndex} of placement group {PlacementGroupId:N}";
}
