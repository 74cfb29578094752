using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Deploy.Tests;

/// <summary>One command's help as System.CommandLine prints it: its options (and whether each takes a value), its
/// subcommands, and whether it has positional arguments.</summary>
internal sealed partial record HelpPage(IReadOnlyDictionary<string, bool> Options, IReadOnlySet<string> Commands, bool HasArguments)
{
    /// <summary>Reads a help text. Entries are the lines indented by exactly two spaces under "Options:", "Commands:"
    /// and "Arguments:"; a wrapped description's further lines are indented more and are skipped.</summary>
    public static HelpPage Parse(string help)
    {
        var options = new Dictionary<string, bool>(StringComparer.Ordinal);
        var commands = new HashSet<string>(StringComparer.Ordinal);
        var hasArguments = false;
        string? section = null;
        foreach (var raw in help.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                section = line.TrimEnd();
                continue;
            }

            if (!line.StartsWith("  ", StringComparison.Ordinal) || line.Length < 3 || char.IsWhiteSpace(line[2]))
            {
                continue;
            }

            switch (section)
            {
                case "Options:":
                    var match = OptionLine().Match(line);
                    if (match.Success)
                    {
                        foreach (var name in match.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries))
                        {
                            options[name] = match.Groups["value"].Success;
                        }
                    }

                    break;
                case "Commands:":
                    commands.Add(line.Trim().Split(' ', 2)[0]);
                    break;
                case "Arguments:":
                    hasArguments = true;
                    break;
            }
        }

        return new HelpPage(options, commands, hasArguments);
    }

    // "  -?, -h, --help  Show help", "  --port <port>  Client port", "  --block  Run the node".
    [GeneratedRegex(@"^  (?<names>-{1,2}[^\s,<]+(?:,\s*-{1,2}[^\s,<]+)*)(?<value>\s+<[^>]+>)?(?:\s{2,}|\s*$)")]
    private static partial Regex OptionLine();
}

/// <summary>The built orleansray command's help pages (<c>dotnet Silo/bin/&lt;configuration&gt;/net10.0/OrleansRay.Cli.dll
/// [command...] --help</c>), read once each.</summary>
internal static class CliHelp
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<string, Lazy<Task<HelpPage>>> Pages = new();

    public static Task<HelpPage> PageAsync(IReadOnlyList<string> commandPath) =>
        Pages.GetOrAdd(string.Join(' ', commandPath), _ => new Lazy<Task<HelpPage>>(() => ReadAsync(commandPath))).Value;

    private static async Task<HelpPage> ReadAsync(IReadOnlyList<string> commandPath)
    {
        var cli = RepositoryFiles.BuildOutput("Silo", "OrleansRay.Cli.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var result = await ProcessRunner.RunAsync(dotnet, [cli, .. commandPath, "--help"], Deadline);
        Assert.True(result.ExitCode == 0, $"orleansray {string.Join(' ', commandPath)} --help: {result}");
        var page = HelpPage.Parse(result.Output);
        Assert.True(page.Options.Count > 0, $"no options read from the help of `orleansray {string.Join(' ', commandPath)}`:\n{result.Output}");
        return page;
    }
}
