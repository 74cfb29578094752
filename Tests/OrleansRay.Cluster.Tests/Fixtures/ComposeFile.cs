using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>One service of a compose file, after variable substitution: what a container of it would run.</summary>
/// <param name="Name">The service's key under <c>services:</c>.</param>
/// <param name="Image">Its <c>image:</c>.</param>
/// <param name="Command">Its <c>command:</c> (the image's ENTRYPOINT's arguments), in list form.</param>
/// <param name="Environment">Its <c>environment:</c>, exactly.</param>
/// <param name="DependsOn">Its <c>depends_on:</c>, service → condition (service_started when only listed).</param>
/// <param name="Healthcheck">Its healthcheck's <c>test:</c> as a command line (CMD-SHELL becomes <c>sh -c</c>), or null.</param>
/// <param name="HealthcheckTimeout">Its healthcheck's <c>timeout:</c> (30 s, compose's default, when not given).</param>
/// <param name="Ports">Its <c>ports:</c>, as written.</param>
/// <param name="Raw">Everything else, as parsed (nested dictionaries and lists of strings).</param>
public sealed record ComposeService(
    string Name,
    string? Image,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyDictionary<string, string> DependsOn,
    IReadOnlyList<string>? Healthcheck,
    TimeSpan HealthcheckTimeout,
    IReadOnlyList<string> Ports,
    IReadOnlyDictionary<string, object?> Raw);

/// <summary>Reads a docker-compose.yml as <c>docker compose</c> does for the parts a test runs: merge keys
/// (<c>&lt;&lt;: *anchor</c>), <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>, <c>${VAR:?message}</c>,
/// <c>${VAR?message}</c>, <c>$VAR</c> and <c>$$</c> from the variables of an env file.</summary>
public static partial class ComposeFile
{
    /// <summary>The services of <paramref name="path"/> with <paramref name="variables"/> substituted.</summary>
    /// <exception cref="ComposeException">A required variable is missing (the file's own message), or a part the tests
    /// rely on is not in the form they run (e.g. a command as one string).</exception>
    public static IReadOnlyDictionary<string, ComposeService> Load(string path, IReadOnlyDictionary<string, string> variables)
    {
        object? document;
        using (var reader = new StreamReader(path))
        {
            document = new DeserializerBuilder().Build().Deserialize(new MergingParser(new Parser(reader)));
        }

        var root = Map(document, "the file");
        var services = Map(Get(root, "services") ?? throw new ComposeException("no services:"), "services");
        var result = new Dictionary<string, ComposeService>(StringComparer.Ordinal);
        foreach (var (name, value) in services)
        {
            var service = Map(Substitute(value, variables, $"services.{name}"), $"services.{name}");
            result[name] = new ComposeService(
                name,
                Get(service, "image") as string,
                Get(service, "command") switch
                {
                    null => [],
                    List<object?> list => list.Select(i => i as string ?? throw new ComposeException($"services.{name}.command: an item is not a string")).ToList(),
                    _ => throw new ComposeException($"services.{name}.command: write it as a list (the test runs its items as arguments; a string would need a shell's word splitting)"),
                },
                Environment(Get(service, "environment"), name),
                DependsOn(Get(service, "depends_on"), name),
                Healthcheck(Get(service, "healthcheck"), name),
                Duration(Get(service, "healthcheck") is Dictionary<string, object?> h ? Get(h, "timeout") as string : null) ?? TimeSpan.FromSeconds(30),
                Get(service, "ports") is List<object?> ports ? ports.Select(p => p as string ?? string.Empty).ToList() : [],
                service);
        }

        return result;
    }

    /// <summary>The variables of an env file (KEY=VALUE lines; # comments; optional quotes around the value).</summary>
    public static Dictionary<string, string> ReadEnvFile(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ComposeException($"{path}: not KEY=VALUE: {line}");
            }

            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            result[line[..eq].Trim()] = value;
        }

        return result;
    }

    /// <summary>A compose duration ("1m30s", "5s", "300ms") or null.</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Match m in DurationPart().Matches(text))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                "us" => TimeSpan.FromMicroseconds(n),
                _ => throw new ComposeException($"bad duration {text}"),
            };
        }

        return total;
    }

    /// <summary>Substitutes variables in one string as compose does.</summary>
    public static string Interpolate(string text, IReadOnlyDictionary<string, string> variables, string where)
    {
        var output = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '$')
            {
                output.Append(text[i++]);
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '$')
            {
                output.Append('$');
                i += 2;
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    throw new ComposeException($"{where}: unclosed ${{ in {text}");
                }

                output.Append(Expand(text[(i + 2)..close], variables, where));
                i = close + 1;
                continue;
            }

            var m = BareName().Match(text, i + 1);
            if (m.Success && m.Index == i + 1)
            {
                output.Append(variables.TryGetValue(m.Value, out var v) ? v : string.Empty);
                i += 1 + m.Length;
                continue;
            }

            throw new ComposeException($"{where}: a lone $ in {text} (write $$ for a literal $)");
        }

        return output.ToString();
    }

    private static string Expand(string expression, IReadOnlyDictionary<string, string> variables, string where)
    {
        var m = Braced().Match(expression);
        if (!m.Success)
        {
            throw new ComposeException($"{where}: unsupported substitution ${{{expression}}}");
        }

        var name = m.Groups[1].Value;
        var op = m.Groups[2].Value;
        var arg = m.Groups[3].Value;
        var set = variables.TryGetValue(name, out var value);
        var nonEmpty = set && value!.Length > 0;
        return op switch
        {
            "" => set ? value! : string.Empty,
            ":-" => nonEmpty ? value! : Interpolate(arg, variables, where),
            "-" => set ? value! : Interpolate(arg, variables, where),
            ":?" => nonEmpty ? value! : throw new ComposeException($"{where}: required variable {name} is missing a value: {arg}"),
            "?" => set ? value! : throw new ComposeException($"{where}: required variable {name} is missing a value: {arg}"),
            _ => throw new ComposeException($"{where}: unsupported substitution ${{{expression}}}"),
        };
    }

    private static object? Substitute(object? node, IReadOnlyDictionary<string, string> variables, string where) => node switch
    {
        string s => Interpolate(s, variables, where),
        List<object?> list => list.Select(i => Substitute(i, variables, where)).ToList(),
        Dictionary<object, object?> map => map.ToDictionary(p => (object)p.Key.ToString()!, p => Substitute(p.Value, variables, $"{where}.{p.Key}")),
        _ => node,
    };

    private static Dictionary<string, object?> Map(object? node, string where) => node switch
    {
        Dictionary<object, object?> map => map.ToDictionary(p => p.Key.ToString()!, p => p.Value, StringComparer.Ordinal),
        Dictionary<string, object?> map => map,
        _ => throw new ComposeException($"{where}: not a mapping"),
    };

    private static object? Get(Dictionary<string, object?> map, string key) => map.TryGetValue(key, out var v) ? v : null;

    private static Dictionary<string, string> Environment(object? node, string service)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (node)
        {
            case null:
                break;
            case List<object?> list:
                foreach (var item in list.Cast<string>())
                {
                    var eq = item.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0)
                    {
                        result[item[..eq]] = item[(eq + 1)..];
                    }
                }

                break;
            default:
                foreach (var (key, value) in Map(node, $"services.{service}.environment"))
                {
                    // A key without a value takes the shell's: no container here has one, so it is left unset.
                    if (value is not null)
                    {
                        result[key] = value.ToString()!;
                    }
                }

                break;
        }

        return result;
    }

    private static Dictionary<string, string> DependsOn(object? node, string service)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (node)
        {
            case null:
                break;
            case List<object?> list:
                foreach (var item in list.Cast<string>())
                {
                    result[item] = "service_started";
                }

                break;
            default:
                foreach (var (key, value) in Map(node, $"services.{service}.depends_on"))
                {
                    result[key] = value is null ? "service_started" : Get(Map(value, $"services.{service}.depends_on.{key}"), "condition") as string ?? "service_started";
                }

                break;
        }

        return result;
    }

    private static List<string>? Healthcheck(object? node, string service)
    {
        if (node is null)
        {
            return null;
        }

        var test = Get(Map(node, $"services.{service}.healthcheck"), "test");
        return test switch
        {
            null => null,
            string shell => ["sh", "-c", shell],
            List<object?> list when list.Count > 1 && list[0] as string == "CMD-SHELL" => ["sh", "-c", string.Join(' ', list.Skip(1))],
            List<object?> list when list.Count > 1 && list[0] as string == "CMD" => list.Skip(1).Select(i => i?.ToString() ?? string.Empty).ToList(),
            List<object?> list when list.Count == 1 && list[0] as string == "NONE" => null,
            _ => throw new ComposeException($"services.{service}.healthcheck.test: not CMD, CMD-SHELL or a string"),
        };
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|us|h|m|s)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex BareName();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)(.*))?$", RegexOptions.Singleline)]
    private static partial Regex Braced();
}

/// <summary>A compose file a test cannot run as written; the message says where and why.</summary>
public sealed class ComposeException(string message) : Exception(message);
