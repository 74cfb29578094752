using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrleansRay.Deploy.Tests;

/// <summary>One place a deploy file runs the orleansray command: its arguments after the executable. A strict usage
/// (a Dockerfile's CMD, a container's args, a compose command) is the whole command line; a text usage (a line in docs
/// or a comment) may stop early or go on in prose, so only its flags' names are checked.</summary>
internal sealed record Usage(string Source, IReadOnlyList<string> Tokens, bool Strict);

/// <summary>Finds how the deploy files run orleansray and checks every flag against the command's help.</summary>
internal static partial class Usages
{
    private static readonly string[] Executables = ["orleansray", "/app/orleansray", "./orleansray"];

    /// <summary>Every problem of <paramref name="usages"/>: a command or option the CLI does not have, an option
    /// without its value, a stray word where the command takes no arguments.</summary>
    public static async Task<List<string>> ProblemsAsync(IEnumerable<Usage> usages, Func<IReadOnlyList<string>, Task<HelpPage>> help)
    {
        var problems = new List<string>();
        foreach (var usage in usages)
        {
            var tokens = usage.Tokens.SkipWhile(t => Executables.Contains(t)).ToList();
            var path = new List<string>();
            var page = await help(path);
            var i = 0;
            while (i < tokens.Count && page.Commands.Contains(tokens[i]))
            {
                path.Add(tokens[i++]);
                page = await help(path);
            }

            var command = "orleansray " + string.Join(' ', path);
            if (path.Count == 0)
            {
                problems.Add($"{usage.Source}: `{string.Join(' ', tokens)}` does not start with an orleansray command");
                continue;
            }

            for (; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token == "--")
                {
                    break;
                }

                if (token.StartsWith('-') && token.Length > 1)
                {
                    var name = token.Split('=', 2)[0];
                    if (!page.Options.TryGetValue(name, out var takesValue))
                    {
                        problems.Add($"{usage.Source}: {name} is not an option of `{command}`");
                        continue;
                    }

                    if (takesValue && !token.Contains('=', StringComparison.Ordinal))
                    {
                        if (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
                        {
                            if (usage.Strict)
                            {
                                problems.Add($"{usage.Source}: {name} needs a value");
                            }
                        }
                        else
                        {
                            i++;
                        }
                    }
                }
                else if (usage.Strict && !page.HasArguments)
                {
                    problems.Add($"{usage.Source}: `{token}` is neither an option nor a value: `{command}` takes no arguments");
                }
            }
        }

        return problems;
    }

    /// <summary>The final stage's ENTRYPOINT and CMD of a Dockerfile, in exec (JSON) form, as one usage; the shell form
    /// is reported as a problem (the node would not be PID 1 and would not get SIGTERM).</summary>
    public static Usage FromDockerfile(string source, string text, List<string> problems)
    {
        string[]? entrypoint = null;
        string[]? cmd = null;
        foreach (var (instruction, argument) in DockerfileInstructions(text))
        {
            if (instruction == "FROM")
            {
                entrypoint = null;
                cmd = null;
            }
            else if (instruction is "ENTRYPOINT" or "CMD")
            {
                string[]? parsed = null;
                try
                {
                    parsed = argument.StartsWith('[') ? JsonSerializer.Deserialize<string[]>(argument) : null;
                }
                catch (JsonException)
                {
                }

                if (parsed is null)
                {
                    problems.Add($"{source}: {instruction} is not in exec form (a JSON array): {argument}");
                }

                if (instruction == "ENTRYPOINT")
                {
                    entrypoint = parsed;
                }
                else
                {
                    cmd = parsed;
                }
            }
        }

        if (entrypoint is null || entrypoint.Length == 0 || !Executables.Contains(entrypoint[0]))
        {
            problems.Add($"{source}: the final stage's ENTRYPOINT does not run orleansray: [{string.Join(", ", entrypoint ?? [])}]");
        }

        return new Usage($"{source} ENTRYPOINT+CMD", [.. entrypoint ?? [], .. cmd ?? []], Strict: true);
    }

    /// <summary>A Dockerfile's instructions (continuation lines joined, comments and blank lines left out).</summary>
    public static IEnumerable<(string Instruction, string Argument)> DockerfileInstructions(string text)
    {
        var current = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.StartsWith('#') || (line.Length == 0 && current.Count == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current.Add(line[..^1].Trim());
                continue;
            }

            current.Add(line);
            var joined = string.Join(' ', current.Where(l => l.Length > 0));
            current.Clear();
            if (joined.Length == 0)
            {
                continue;
            }

            var parts = joined.Split(' ', 2);
            yield return (parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1].Trim() : string.Empty);
        }
    }

    /// <summary>The usages <c>orleansray-usages.js</c> found in YAML files (containers and compose services of the
    /// orleansray image), from its JSON output.</summary>
    public static IEnumerable<Usage> FromYamlScan(string json)
    {
        using var document = JsonDocument.Parse(json);
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var tokens = entry.GetProperty("tokens").EnumerateArray().Select(t => t.GetString() ?? string.Empty).ToList();
            var file = entry.GetProperty("file").GetString() ?? string.Empty;
            var shown = Path.IsPathRooted(file) ? Path.GetRelativePath(OrleansRay.Tests.Processes.RepositoryFiles.Root, file).Replace('\\', '/') : file;
            yield return new Usage($"{shown} {entry.GetProperty("where").GetString()}", tokens, Strict: true);
        }
    }

    /// <summary>Lines of prose, comments or shell that run a top-level orleansray command
    /// (<c>orleansray start --head</c>, <c>docker run ... orleansray:dev start --address ...</c>); continuation lines
    /// (ending in a backslash) are joined. Only command words in <paramref name="commands"/> count.</summary>
    public static IEnumerable<Usage> FromText(string source, string text, IReadOnlySet<string> commands)
    {
        var lines = new List<(int Number, string Text)>();
        var pending = string.Empty;
        var start = 0;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (pending.Length == 0)
            {
                start = number;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            lines.Add((start, pending + line));
            pending = string.Empty;
        }

        foreach (var (line, content) in lines)
        {
            foreach (Match match in TextInvocation().Matches(content))
            {
                if (!commands.Contains(match.Groups["command"].Value))
                {
                    continue;
                }

                var rest = match.Groups["rest"].Value;
                var tokens = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(t => t.Trim('"', '\'', ',')).ToList();
                yield return new Usage($"{source}:{line}", [match.Groups["command"].Value, .. tokens], Strict: false);
            }
        }
    }

    /// <summary>Every ORLEANSRAY_* name in <paramref name="text"/>.</summary>
    public static IEnumerable<string> EnvironmentNames(string text) =>
        EnvironmentName().Matches(text).Select(m => m.Value).Distinct();

    /// <summary>ORLEANSRAY_* names that only the deploy files use (a compose variable, say), allowed on purpose; every
    /// other ORLEANSRAY_* name in the deploy files must be one a node, driver or store reads.</summary>
    private static readonly string[] DeployOnlyNames =
    [
        // deploy/compose/docker-compose.yml: knobs of the compose file itself, read by compose, never by a node.
        "ORLEANSRAY_IMAGE_TAG",
        "ORLEANSRAY_SHM_SIZE",
        "ORLEANSRAY_OBJECT_STORE_MEMORY",
    ];

    /// <summary>The ORLEANSRAY_* names the CLI and the library read: the string literals in their sources.</summary>
    public static IReadOnlySet<string> KnownEnvironmentNames(string root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "ORLEANSRAY_AUTH_TOKEN", "ORLEANSRAY_STORAGE", "ORLEANSRAY_TEMP_DIR", "ORLEANSRAY_ADDRESS" };
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in new[] { "Client", "Silo", "ObjectStore", "Grains", "Grains.Interfaces" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (Match match in EnvironmentLiteral().Matches(File.ReadAllText(file)))
                {
                    known.Add(match.Groups[1].Value);
                }
            }
        }

        // The documented four must really be read somewhere: the list above is no licence for a name the code lost.
        Assert.Subset(known, names);
        known.UnionWith(DeployOnlyNames);
        return known;
    }

    // The executable (optionally an image reference such as orleansray:dev) followed on the same line by a command
    // word; the rest of the line up to a shell separator, a markdown backtick or a comment. A Kubernetes namespace
    // named orleansray (`kubectl -n orleansray get ...`) is not an invocation.
    [GeneratedRegex(@"(?<![\w-])(?<!(?:-n|--namespace)[ \t=]+)(?:/app/)?orleansray(?::[\w.\-]+)?[ \t]+(?<command>[a-z]+)\b(?<rest>[^|;&`#)\n]*)")]
    private static partial Regex TextInvocation();

    [GeneratedRegex(@"\bORLEANSRAY_[A-Z0-9_]+\b")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex("\"(ORLEANSRAY_[A-Z0-9_]+)\"")]
    private static partial Regex EnvironmentLiteral();
}
