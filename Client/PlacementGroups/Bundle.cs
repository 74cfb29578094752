using System.Collections;
using System.Globalization;

namespace OrleansRay;

/// <summary>One bundle of a placement group: the resources reserved together on one node,
/// e.g. <c>new Bundle { ["CPU"] = 1, ["GPU"] = 1 }</c>.</summary>
/// <remarks>Names are Ray's: "CPU", "GPU", "memory" (bytes), and custom resources. A placement group copies its bundles
/// when it is created; changing a bundle afterwards changes nothing.</remarks>
public sealed class Bundle : IReadOnlyDictionary<string, double>
{
    private readonly Dictionary<string, double> _amounts = new(StringComparer.Ordinal);

    /// <summary>An empty bundle; set amounts with the indexer.</summary>
    public Bundle()
    {
    }

    /// <summary>A bundle with these amounts.</summary>
    /// <exception cref="ArgumentException">A name is blank or an amount is negative, NaN or infinite.</exception>
    public Bundle(IEnumerable<KeyValuePair<string, double>> amounts)
    {
        ArgumentNullException.ThrowIfNull(amounts);
        foreach (var (name, amount) in amounts)
        {
            this[name] = amount;
        }
    }

    /// <summary>The amount of <paramref name="resource"/> in the bundle.</summary>
    /// <exception cref="ArgumentException">Setting a blank name, or an amount that is negative, NaN or infinite.</exception>
    /// <exception cref="KeyNotFoundException">Reading a resource the bundle does not have.</exception>
    public double this[string resource]
    {
        get => _amounts[resource];
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(resource);
            if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
            {
                throw new ArgumentException($"Bundle[\"{resource}\"] = {value.ToString(CultureInfo.InvariantCulture)}: amounts must be finite and >= 0.", nameof(value));
            }

            _amounts[resource] = value;
        }
    }

    /// <inheritdoc />
    public int Count => _amounts.Count;

    /// <inheritdoc />
    public IEnumerable<string> Keys => _amounts.Keys;

    /// <inheritdoc />
    public IEnumerable<double> Values => _amounts.Values;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _amounts.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out double value) => _amounts.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => _amounts.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Ray's shape notation: {"CPU": 1.0}.</summary>
    public override string ToString() => ResourceSet.From(_amounts).ToString();

    /// <summary>The bundle as a resource set; a bundle that asks for nothing is refused (it could hold no task).</summary>
    internal ResourceSet ToResourceSet(int index)
    {
        var shape = ResourceSet.From(_amounts);
        if (shape.IsEmpty)
        {
            throw new ArgumentException($"Bundle {index} asks for no resources; every bundle needs at least one positive amount, e.g. new Bundle {{ [\"CPU\"] = 1 }}.", "bundles");
        }

        return shape;
    }

    internal static Bundle From(ResourceSet shape) => new(shape.Items);
}
