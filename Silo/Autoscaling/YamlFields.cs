using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>One YAML mapping of a config file being read: typed fields by name, each failure a
/// <see cref="ClusterConfigException"/> naming the file, line and field; keys nobody asked for are refused by
/// <see cref="RefuseUnknown"/>.</summary>
internal sealed partial class YamlFields
{
    private readonly string _file;
    private readonly string _path;
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    private YamlFields(string file, string path, YamlMappingNode node)
    {
        _file = file;
        _path = path;
        _node = node;
    }

    /// <summary>The line the mapping starts at.</summary>
    public long Line => _node.Start.Line;

    /// <summary>The mapping's dotted path (empty at the top).</summary>
    public string Path => _path;

    /// <summary>Reads <paramref name="node"/> as a mapping at <paramref name="path"/>.</summary>
    public static YamlFields Of(string file, string path, YamlNode node) =>
        node is YamlMappingNode mapping
            ? new YamlFields(file, path, mapping)
            : throw new ClusterConfigException(file, node.Start.Line, path, $"expected a mapping (key: value lines), got {Describe(node)}.");

    /// <summary>The keys, in file order, each with its line (for mappings whose keys are names the user picks).</summary>
    public IEnumerable<(string Key, YamlNode Value)> Entries()
    {
        foreach (var (key, value) in _node.Children)
        {
            var name = KeyOf(key);
            _asked.Add(name);
            yield return (name, value);
        }
    }

    /// <summary>A problem with field <paramref name="name"/> of this mapping (at its line, or the mapping's when absent).</summary>
    public ClusterConfigException Error(string name, string problem)
    {
        _asked.Add(name);
        return new ClusterConfigException(_file, LineOf(name), Join(_path, name), problem);
    }

    /// <summary>The line of field <paramref name="name"/>'s key; the mapping's own line when it has no such key.</summary>
    public long LineOf(string name) =>
        _node.Children.Keys.FirstOrDefault(k => k is YamlScalarNode s && s.Value == name)?.Start.Line ?? Line;

    /// <summary>The dotted path of field <paramref name="name"/>.</summary>
    public string FieldPath(string name) => Join(_path, name);

    /// <summary>The value node of <paramref name="name"/>, null when absent.</summary>
    public YamlNode? Find(string name)
    {
        _asked.Add(name);
        foreach (var (key, value) in _node.Children)
        {
            if (key is YamlScalarNode s && s.Value == name)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>A required field's node.</summary>
    public YamlNode Required(string name, string what) =>
        Find(name) is { } node && !IsNull(node) ? node : throw Error(name, $"missing; add {what}.");

    /// <summary>A nested mapping, null when absent.</summary>
    public YamlFields? Mapping(string name) => Find(name) is { } node && !IsNull(node) ? Of(_file, Join(_path, name), node) : null;

    /// <summary>A string field (a scalar), or <paramref name="fallback"/> when absent.</summary>
    public string? String(string name, string? fallback = null)
    {
        var node = Find(name);
        if (node is null || IsNull(node))
        {
            return fallback;
        }

        return node is YamlScalarNode s ? s.Value : throw Error(name, $"expected a text value, got {Describe(node)}.");
    }

    /// <summary>A whole number &gt;= 0, or <paramref name="fallback"/> when absent.</summary>
    public int Count(string name, int fallback)
    {
        var node = Find(name);
        if (node is null || IsNull(node))
        {
            return fallback;
        }

        if (node is not YamlScalarNode { Style: ScalarStyle.Plain } s || !int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(name, $"expected a whole number (e.g. 2), got {Describe(node)}.");
        }

        return value >= 0 ? value : throw Error(name, string.Create(CultureInfo.InvariantCulture, $"{name} is {value}; it cannot be negative: use 0 or more."));
    }

    /// <summary>A finite number &gt;= 0 (or &gt; 0 when <paramref name="positive"/>), or <paramref name="fallback"/> when absent.</summary>
    public double Number(string name, double fallback, bool positive = false)
    {
        var node = Find(name);
        if (node is null || IsNull(node))
        {
            return fallback;
        }

        var value = NumberOf(node, FieldPath(name), name);
        if (positive && value <= 0)
        {
            throw Error(name, $"{name} is {value.ToString(CultureInfo.InvariantCulture)}; it must be greater than 0.");
        }

        return value;
    }

    /// <summary>Refuses keys of this mapping no reader asked for, listing the ones it knows.</summary>
    public void RefuseUnknown(IEnumerable<string> known) => Refuse(known, _asked.Contains);

    /// <summary>As <see cref="RefuseUnknown"/>, before any field is read: a key not in <paramref name="known"/> is
    /// refused first, so a misspelt field is named as one, not reported as the missing field it was meant to be.</summary>
    public void RefuseUnknownFirst(IReadOnlyCollection<string> known) => Refuse(known, known.Contains);

    private void Refuse(IEnumerable<string> known, Func<string, bool> isKnown)
    {
        foreach (var (key, _) in _node.Children)
        {
            var name = KeyOf(key);
            if (!isKnown(name))
            {
                throw new ClusterConfigException(_file, key.Start.Line, Join(_path, name), $"unknown field; the fields here are: {string.Join(", ", known)}. Check its spelling and indentation.");
            }
        }
    }

    /// <summary>A number &gt;= 0 in <paramref name="node"/> (for mappings read through <see cref="Entries"/>).</summary>
    public double NumberOf(YamlNode node, string field, string name)
    {
        if (node is not YamlScalarNode { Style: ScalarStyle.Plain } s
            || !double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ClusterConfigException(_file, node.Start.Line, field, $"expected a number (e.g. 2 or 0.5), got {Describe(node)}.");
        }

        return value >= 0 ? value : throw new ClusterConfigException(_file, node.Start.Line, field, $"{name} is {value.ToString(CultureInfo.InvariantCulture)}; it cannot be negative: use 0 or more.");
    }

    /// <summary>True for a name of letters, digits, '-', '_' and '.', starting with a letter or digit.</summary>
    public static bool IsName(string? value) => value is not null && NamePattern().IsMatch(value);

    /// <summary>How a node reads in a message: its text, or its kind.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s when string.IsNullOrEmpty(s.Value) => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        _ => "a mapping",
    };

    private string KeyOf(YamlNode key) =>
        key is YamlScalarNode { Value: { } value } ? value : throw new ClusterConfigException(_file, key.Start.Line, _path, "a key must be a plain name.");

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain } s && (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null");

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();
}
