namespace OrleansRay.Scheduling;

/// <summary>The placement-group bundles reserved on this node: each bundle's total, and what of it the group's tasks
/// and actors have not taken.</summary>
/// <remarks>
/// Keyed by <see cref="BundleKey"/>: (group, index) for one bundle, (group, <see cref="BundleKey.AnyBundle"/>) for the
/// group's pool on this node, which holds the sum of the group's bundles here and serves tasks that may use any bundle.
/// A bundle's amounts and the pool's are separate, as Ray's bundle and wildcard resources are. Available amounts may go
/// below zero while a task that waited in a Get resumes (as the node's may); reports clamp them at zero. A removed
/// group's bundles are retired (<see cref="Retire"/>): hidden from every name and fit at once, and kept apart until the
/// tenants still holding parts of them have given those back, so their resources return to the node exactly once, when
/// nothing uses them any more. Not thread-safe: the scheduler engine's lock guards it.
/// </remarks>
internal sealed class BundleLedger
{
    private readonly Dictionary<BundleKey, Entry> _entries = new();
    private readonly Dictionary<Guid, List<BundleReservation>> _groups = new();

    /// <summary>Removed groups whose bundles tenants still hold parts of: their entries, until every amount is back.</summary>
    private readonly Dictionary<Guid, (List<BundleReservation> Bundles, Dictionary<BundleKey, Entry> Entries)> _retiring = new();

    /// <summary>Every bundle's and pool's total under Ray's names, kept as bundles come and go (rebuilding it from the
    /// entries on each change cost a node with many groups a name and a sorted insert per entry per change).</summary>
    private readonly Dictionary<string, double> _namedTotals = new(StringComparer.Ordinal);

    /// <summary>True when no bundle is reserved here.</summary>
    public bool IsEmpty => _groups.Count == 0;

    /// <summary>True when bundle <paramref name="index"/> of group <paramref name="placementGroupId"/> is reserved here.</summary>
    public bool Holds(Guid placementGroupId, int index) =>
        _groups.TryGetValue(placementGroupId, out var held) && held.Exists(b => b.Index == index);

    /// <summary>Records a reserved bundle: its shape becomes available in the bundle and in its group's pool. The
    /// caller has taken the shape out of the node's free resources.</summary>
    public void Add(BundleReservation bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        AddTo(new BundleKey(bundle.PlacementGroupId, bundle.Index), bundle.Shape);
        AddTo(new BundleKey(bundle.PlacementGroupId, BundleKey.AnyBundle), bundle.Shape);
        if (!_groups.TryGetValue(bundle.PlacementGroupId, out var list))
        {
            _groups[bundle.PlacementGroupId] = list = new List<BundleReservation>();
        }

        list.Add(bundle);
    }

    /// <summary>Forgets a group's bundles here; returns them (their shapes go back to the node's free resources), or
    /// null when the group holds none here. Amounts its running tasks return later are dropped.</summary>
    public List<BundleReservation>? Remove(Guid placementGroupId)
    {
        if (!_groups.Remove(placementGroupId, out var list))
        {
            return null;
        }

        RemoveEntry(new BundleKey(placementGroupId, BundleKey.AnyBundle));
        foreach (var bundle in list)
        {
            RemoveEntry(new BundleKey(placementGroupId, bundle.Index));
        }

        return list;
    }

    /// <summary>True when <paramref name="amounts"/> are available in <paramref name="key"/> now.</summary>
    public bool Fits(BundleKey key, ResourceSet amounts) => _entries.TryGetValue(key, out var entry) && amounts.FitsIn(entry.Available);

    /// <summary>True when <paramref name="key"/> is reserved here and could ever hold <paramref name="amounts"/>.</summary>
    public bool FitsTotal(BundleKey key, ResourceSet amounts) => _entries.TryGetValue(key, out var entry) && amounts.FitsIn(entry.Total);

    /// <summary>Takes <paramref name="amounts"/> from <paramref name="key"/> (checked with <see cref="Fits"/> first, or
    /// retaken by a task resuming after a Get).</summary>
    public void Take(BundleKey key, ResourceSet amounts)
    {
        if (_entries.TryGetValue(key, out var entry) || TryRetiring(key, out entry))
        {
            Move(entry.Available, amounts, -1);
        }
    }

    /// <summary>Gives <paramref name="amounts"/> back to <paramref name="key"/>; dropped when the group's bundles were
    /// released meanwhile (<see cref="Remove"/>).</summary>
    /// <returns>The bundles of a retired group this return made whole (nothing of them is held any more: their shapes go
    /// back to the node's free resources now); null otherwise.</returns>
    public List<BundleReservation>? Return(BundleKey key, ResourceSet amounts)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            Move(entry.Available, amounts, +1);
            return null;
        }

        if (!TryRetiring(key, out entry))
        {
            return null;
        }

        Move(entry.Available, amounts, +1);
        var retiring = _retiring[key.PlacementGroupId];
        if (!IsWhole(retiring.Entries.Values))
        {
            return null;
        }

        _retiring.Remove(key.PlacementGroupId);
        return retiring.Bundles;
    }

    /// <summary>The group was removed: its bundles here take no new tenant from now on (their names leave the totals,
    /// and nothing fits them), while what tenants hold of them stays counted.</summary>
    /// <returns>The group's bundles here when no tenant holds any part of them (their shapes go back to the node's free
    /// resources now); an empty list when tenants do (the last of their returns gives the bundles back,
    /// <see cref="Return"/>); null when the group holds no bundle here.</returns>
    public List<BundleReservation>? Retire(Guid placementGroupId)
    {
        if (!_groups.Remove(placementGroupId, out var list))
        {
            return null;
        }

        var entries = new Dictionary<BundleKey, Entry>();
        foreach (var key in list.Select(b => new BundleKey(placementGroupId, b.Index)).Append(new BundleKey(placementGroupId, BundleKey.AnyBundle)))
        {
            if (RemoveEntry(key) is { } entry)
            {
                entries[key] = entry;
            }
        }

        if (IsWhole(entries.Values))
        {
            return list;
        }

        _retiring[placementGroupId] = (list, entries);
        return new List<BundleReservation>();
    }

    /// <summary>True while a removed group's bundles wait here for their tenants (<see cref="Retire"/>).</summary>
    public bool IsRetiring(Guid placementGroupId) => _retiring.ContainsKey(placementGroupId);

    /// <summary>Every bundle's and pool's total under Ray's names (<see cref="BundleKey.ResourceName"/>), for the
    /// node's reported total.</summary>
    public IReadOnlyDictionary<string, double> NamedTotals => _namedTotals;

    /// <summary>Every bundle's and pool's available amounts under Ray's names, not clamped.</summary>
    public IEnumerable<KeyValuePair<string, double>> NamedAvailable() =>
        _entries.SelectMany(e => e.Value.Available.Select(kv => new KeyValuePair<string, double>(e.Key.ResourceName(kv.Key), kv.Value)));

    /// <summary>A set of <paramref name="amounts"/> with negative ones shown as zero, and each rounded to Ray's resource
    /// unit (1/10,000): fractions taken and given back many times leave float dust (0.9999999999999998 for 1).</summary>
    public static ResourceSet Clamped(IEnumerable<KeyValuePair<string, double>> amounts) =>
        ResourceSet.From(amounts.Select(kv => new KeyValuePair<string, double>(kv.Key, Math.Max(0, Math.Round(kv.Value, 4)))));

    private void AddTo(BundleKey key, ResourceSet shape)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            _entries[key] = entry = new Entry();
        }

        entry.Total = ResourceSet.From(entry.Total.Items.Concat(shape.Items));
        Move(entry.Available, shape, +1);
        foreach (var (name, amount) in shape.Items)
        {
            var named = key.ResourceName(name);
            _namedTotals[named] = _namedTotals.GetValueOrDefault(named) + amount;
        }
    }

    private Entry? RemoveEntry(BundleKey key)
    {
        if (!_entries.Remove(key, out var entry))
        {
            return null;
        }

        foreach (var (name, _) in entry.Total.Items)
        {
            _namedTotals.Remove(key.ResourceName(name)); // a name belongs to its bundle alone: it goes with it
        }

        return entry;
    }

    private bool TryRetiring(BundleKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Entry? entry)
    {
        entry = null;
        return _retiring.Count > 0 && _retiring.TryGetValue(key.PlacementGroupId, out var retiring) && retiring.Entries.TryGetValue(key, out entry);
    }

    /// <summary>True when every amount of <paramref name="entries"/> is available again (within rounding: tenants take
    /// and give back fractions).</summary>
    private static bool IsWhole(IEnumerable<Entry> entries) =>
        entries.All(e => e.Total.Items.All(kv => Math.Abs(e.Available.GetValueOrDefault(kv.Key) - kv.Value) < 1e-9));

    private static void Move(Dictionary<string, double> available, ResourceSet amounts, int sign)
    {
        foreach (var (name, amount) in amounts.Items)
        {
            available[name] = available.GetValueOrDefault(name) + (sign * amount);
        }
    }

    /// <summary>One bundle's (or pool's) amounts.</summary>
    private sealed class Entry
    {
        public ResourceSet Total { get; set; } = ResourceSet.Empty;

        public Dictionary<string, double> Available { get; } = new(StringComparer.Ordinal);
    }
}
