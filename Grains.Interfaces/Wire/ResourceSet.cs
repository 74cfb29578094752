using System.Globalization;
using System.Text;

namespace OrleansRay;

/// <summary>An immutable bag of resource amounts ("CPU", "GPU", "memory", "object_store_memory", custom names).</summary>
/// <remarks>Names are kept sorted and amounts positive, so equal sets compare and hash equal (a set is a scheduling class key).</remarks>
[GenerateSerializer, Immutable, Alias("orleansray.resources")]
public sealed class ResourceSet : IEquatable<ResourceSet>
{
    /// <summary>The well-known resource names.</summary>
    public const string Cpu = "CPU", Gpu = "GPU", Memory = "memory", ObjectStoreMemory = "object_store_memory";

    /// <summary>Amounts below this are treated as zero (Ray keeps resources in units of 1/10000).</summary>
    public const double Epsilon = 1e-4;

    /// <summary>The empty set.</summary>
    public static readonly ResourceSet Empty = new(Array.Empty<string>(), Array.Empty<double>());

    [Id(0)] private readonly string[] _names;
    [Id(1)] private readonly double[] _amounts;
    [NonSerialized]
    private int _hash;

    private ResourceSet(string[] names, double[] amounts)
    {
        _names = names;
        _amounts = amounts;
    }

    /// <summary>Number of resources with a positive amount.</summary>
    public int Count => _names.Length;

    /// <summary>The names in order, for loops that must not allocate (<see cref="Items"/> is an iterator).</summary>
    internal ReadOnlySpan<string> Names => _names;

    /// <summary>The amounts, in the order of <see cref="Names"/>.</summary>
    internal ReadOnlySpan<double> Amounts => _amounts;

    /// <summary>True when nothing is asked for.</summary>
    public bool IsEmpty => _names.Length == 0;

    /// <summary>The names and amounts, sorted by name.</summary>
    public IEnumerable<KeyValuePair<string, double>> Items
    {
        get
        {
            for (var i = 0; i < _names.Length; i++)
            {
                yield return new KeyValuePair<string, double>(_names[i], _amounts[i]);
            }
        }
    }

    /// <summary>The amount of <paramref name="name"/>, 0 when absent.</summary>
    public double this[string name]
    {
        get
        {
            var i = Array.BinarySearch(_names, name, StringComparer.Ordinal);
            return i >= 0 ? _amounts[i] : 0;
        }
    }

    /// <summary>Builds a set, checking every amount: negative, NaN or infinite amounts and empty names are refused.</summary>
    public static ResourceSet From(IEnumerable<KeyValuePair<string, double>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var map = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, amount) in items)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("A resource name cannot be empty.", nameof(items));
            }

            if (double.IsNaN(amount) || double.IsInfinity(amount) || amount < 0)
            {
                throw new ArgumentException($"Resource '{name}' has amount {amount.ToString(CultureInfo.InvariantCulture)}; amounts must be finite and >= 0.", nameof(items));
            }

            if (amount >= Epsilon)
            {
                map[name] = map.TryGetValue(name, out var existing) ? existing + amount : amount;
            }
        }

        return map.Count == 0 ? Empty : new ResourceSet(map.Keys.ToArray(), map.Values.ToArray());
    }

    /// <summary>Each resource's total over <paramref name="sets"/> (<see cref="From"/> adds the amounts of one name).</summary>
    public static ResourceSet Sum(IEnumerable<ResourceSet> sets) => From(sets.SelectMany(s => s.Items));

    /// <summary>True when every amount here is available in <paramref name="available"/>.</summary>
    public bool FitsIn(IReadOnlyDictionary<string, double> available)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (!available.TryGetValue(_names[i], out var have) || have + Epsilon < _amounts[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when every amount here is available in <paramref name="available"/>.</summary>
    public bool FitsIn(ResourceSet available)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (available[_names[i]] + Epsilon < _amounts[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A dictionary copy of the set.</summary>
    public Dictionary<string, double> ToDictionary()
    {
        var d = new Dictionary<string, double>(_names.Length, StringComparer.Ordinal);
        for (var i = 0; i < _names.Length; i++)
        {
            d[_names[i]] = _amounts[i];
        }

        return d;
    }

    /// <inheritdoc />
    public bool Equals(ResourceSet? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._names.Length != _names.Length)
        {
            return false;
        }

        for (var i = 0; i < _names.Length; i++)
        {
            if (!string.Equals(_names[i], other._names[i], StringComparison.Ordinal) || Math.Abs(_amounts[i] - other._amounts[i]) >= Epsilon)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ResourceSet other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = new HashCode();
            for (var i = 0; i < _names.Length; i++)
            {
                h.Add(_names[i], StringComparer.Ordinal);
                h.Add(Math.Round(_amounts[i] / Epsilon));
            }

            _hash = h.ToHashCode() | 1;
        }

        return _hash;
    }

    /// <summary>Ray's shape notation: {"CPU": 1.0, "accel": 1.0}.</summary>
    public override string ToString() => Describe(Items);

    /// <summary>Ray's shape notation for any names and amounts, by name: {"CPU": 1.0, "accel": 1.0}. The one text of a
    /// shape (<see cref="ResourceSet"/>, bundles, pending demands); amounts are printed as given, zero ones too.</summary>
    internal static string Describe(IEnumerable<KeyValuePair<string, double>> items)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var (name, amount) in items.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append('"').Append(name).Append("\": ").Append(amount.ToString("0.0###", CultureInfo.InvariantCulture));
        }

        return sb.Append('}').ToString();
    }
}
