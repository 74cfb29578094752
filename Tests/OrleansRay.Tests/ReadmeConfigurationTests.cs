using System.Reflection;
using System.Text.RegularExpressions;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>README's "Configuration (<c>RayOptions</c>)" table against the code (issue 9, case 15: the table still said
/// <c>Address</c> threw <see cref="NotSupportedException"/> after connected drivers shipped). Every settable option has
/// a row, every row names a real option, and the defaults the table states are the ones a new <see cref="RayOptions"/>
/// has.</summary>
public sealed partial class ReadmeConfigurationTests
{
    [Fact]
    public void Every_RayOptions_setting_has_a_README_row_and_every_row_names_a_real_setting()
    {
        var rows = ConfigurationRows();
        var documented = rows.Keys.ToHashSet(StringComparer.Ordinal);
        var settings = Settings(typeof(RayOptions), prefix: "").ToHashSet(StringComparer.Ordinal);

        Assert.Empty(settings.Except(documented).Order());
        Assert.Empty(documented.Except(settings).Order());
    }

    [Fact]
    public void The_defaults_the_README_table_states_are_those_of_a_new_RayOptions()
    {
        var rows = ConfigurationRows();
        var options = new RayOptions();

        Assert.Equal($"\"{options.Namespace}\"", rows["Namespace"].Default);
        Assert.Equal($"{options.InlineThreshold / 1024} KiB", rows["InlineThreshold"].Default);
        Assert.Equal(options.LogLevel.ToString(), rows["LogLevel"].Default);
        Assert.Equal(options.NumGpus.ToString(System.Globalization.CultureInfo.InvariantCulture), rows["NumGpus"].Default);
        Assert.Equal(options.Insecure ? "true" : "false", rows["Insecure"].Default);
        Assert.Null(options.Address);
        Assert.Equal("null", rows["Address"].Default);
        Assert.Null(options.AuthToken);
        Assert.Equal("null", rows["AuthToken"].Default);
        Assert.Equal(options.RuntimeEnv.ShipCode ? "true" : "false", rows["RuntimeEnv.ShipCode"].Default);
        Assert.Equal($"{options.RuntimeEnv.MaxCodeBytes >> 20} MiB", rows["RuntimeEnv.MaxCodeBytes"].Default);
        Assert.Equal($"{options.CodeCacheBytes >> 30} GiB", rows["CodeCacheBytes"].Default);
        Assert.Equal(options.CodeCacheBytes, new RayNodeOptions().CodeCacheBytes);
        Assert.Contains($"at least {RayOptions.MinObjectStoreMemory >> 20} MiB", rows["ObjectStoreMemory"].Meaning);
    }

    [Fact]
    public void No_README_row_calls_a_supported_option_unsupported()
    {
        foreach (var (name, row) in ConfigurationRows())
        {
            Assert.False(row.Meaning.Contains("NotSupportedException", StringComparison.Ordinal) ||
                         row.Meaning.Contains("not supported", StringComparison.OrdinalIgnoreCase),
                $"README's row for {name} says it is not supported: {row.Meaning}");
        }
    }

    /// <summary>The public settable properties of <paramref name="type"/>, and the members of its nested option
    /// objects (<see cref="RuntimeEnv"/>) as <c>Parent.Member</c>; collections count as settings (filled, not set).</summary>
    private static IEnumerable<string> Settings(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var settable = property.SetMethod is { IsPublic: true };
            var collection = property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() is var g &&
                             (g == typeof(Dictionary<,>) || g == typeof(List<>));
            if (property.PropertyType == typeof(RuntimeEnv))
            {
                foreach (var nested in Settings(property.PropertyType, prefix + property.Name + "."))
                {
                    yield return nested;
                }
            }
            else if (settable || collection)
            {
                yield return prefix + property.Name;
            }
        }
    }

    private static Dictionary<string, (string Default, string Meaning)> ConfigurationRows()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        var start = readme.IndexOf("## Configuration (`RayOptions`)", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no \"## Configuration (`RayOptions`)\" section.");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];

        var rows = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (Match row in OptionRow().Matches(section))
        {
            Assert.True(rows.TryAdd(row.Groups["name"].Value, (row.Groups["default"].Value.Trim(), row.Groups["meaning"].Value.Trim())),
                $"README's configuration table has two rows for {row.Groups["name"].Value}.");
        }

        Assert.True(rows.Count > 0, "README's configuration table has no option rows.");
        return rows;
    }

    [GeneratedRegex(@"^\| `(?<name>[A-Za-z.]+)` \| (?<default>[^|]*) \| (?<meaning>.*) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex OptionRow();
}
