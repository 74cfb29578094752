using OrleansRay.Tests.Processes;

namespace OrleansRay.Deploy.Tests;

/// <summary>Every orleansray flag and ORLEANSRAY_* variable the deploy files use exists in the CLI, so the files cannot
/// rot when an option is renamed: flags are read from the built command's <c>--help</c>, variables from the string
/// literals of the CLI's and the library's sources. Covers every file under deploy/ (compose files too, when they are
/// there) and docs/deploy.md.</summary>
public sealed class CliUsageTests
{
    // What System.CommandLine prints, trimmed: the parser's unit tests read this instead of a process.
    private const string SampleRootHelp = """
        Description:
          orleansray: start, watch and stop an OrleansRay cluster.

        Usage:
          orleansray [command] [options]

        Options:
          -?, -h, --help  Show help and usage information
          --version       Show version information

        Commands:
          start   Start this machine's OrleansRay node in the background.
          status  Show the cluster's nodes.
        """;

    private const string SampleStartHelp = """
        Description:
          Start this machine's OrleansRay node.

        Usage:
          orleansray start [options]

        Options:
          --head                               Start the head node: a new cluster.
          --address <address>                  Join the cluster whose head listens at HOST:PORT.
          --num-cpus <num-cpus>                CPUs this node offers to tasks and actors. Default: the machine's core
                                               count; --wrapped-line is not an option.
          --load <PATH.dll>                    Load this application assembly.
          --block                              Run the node in the foreground.
          -?, -h, --help                       Show help and usage information
        """;

    [Fact]
    public void Help_parser_reads_options_with_and_without_values_and_commands()
    {
        var root = HelpPage.Parse(SampleRootHelp);
        Assert.Equal(new HashSet<string> { "start", "status" }, root.Commands);
        var start = HelpPage.Parse(SampleStartHelp);
        Assert.Equal(["--address", "--block", "--head", "--help", "--load", "--num-cpus", "-?", "-h"], start.Options.Keys.Order(StringComparer.Ordinal));
        Assert.False(start.Options["--head"]);
        Assert.True(start.Options["--address"]);
        Assert.True(start.Options["--load"]);
        Assert.False(start.HasArguments);
        Assert.Empty(start.Commands);
    }

    [Fact]
    public async Task Checker_reports_a_made_up_flag_a_missing_value_a_stray_word_and_an_unknown_command()
    {
        var usages = new[]
        {
            new Usage("good", ["orleansray", "start", "--head", "--block", "--num-cpus", "$(NUM_CPUS)", "--address=h:1"], Strict: true),
            new Usage("made-up", ["start", "--head", "--num-gpu", "1"], Strict: true),
            new Usage("no-value", ["/app/orleansray", "start", "--block", "--address"], Strict: true),
            new Usage("stray", ["start", "--head", "--block", "yes"], Strict: true),
            new Usage("unknown", ["launch", "--head"], Strict: true),
            new Usage("prose", ["start", "--head", "...", "--madeup-flag"], Strict: false),
        };

        var problems = await Usages.ProblemsAsync(usages, path => Task.FromResult(HelpPage.Parse(path.Count == 0 ? SampleRootHelp : SampleStartHelp)));

        Assert.Equal(
        [
            "made-up: --num-gpu is not an option of `orleansray start`",
            "made-up: `1` is neither an option nor a value: `orleansray start` takes no arguments",
            "no-value: --address needs a value",
            "stray: `yes` is neither an option nor a value: `orleansray start` takes no arguments",
            "unknown: `launch --head` does not start with an orleansray command",
            "prose: --madeup-flag is not an option of `orleansray start`",
        ], problems);
    }

    [Fact]
    public void Text_scan_finds_commands_in_docs_shell_lines_and_image_runs()
    {
        var text = """
            Start a head: `orleansray start --head --dashboard-host 0.0.0.0`, then
            docker run --rm --shm-size=1g orleansray:dev start --address head:30000 \
              --block --bogus-flag && echo done
            The orleansray command is in /app; orleansray-store next to it; image: orleansray
            kubectl exec deploy/orleansray-head -- orleansray status --address 127.0.0.1:30000
            kubectl -n orleansray get secrets -l app=x; kubectl --namespace orleansray get pods -o wide
            """;

        var usages = Usages.FromText("doc.md", text, new HashSet<string> { "start", "status", "get" }).ToList();

        Assert.Equal(["doc.md:1", "doc.md:2", "doc.md:5"], usages.Select(u => u.Source));
        Assert.Equal(["start", "--head", "--dashboard-host", "0.0.0.0"], usages[0].Tokens);
        Assert.Equal(["start", "--address", "head:30000", "--block", "--bogus-flag"], usages[1].Tokens);
        Assert.Equal(["status", "--address", "127.0.0.1:30000"], usages[2].Tokens);
        Assert.All(usages, u => Assert.False(u.Strict));
    }

    [Fact]
    public async Task Every_orleansray_flag_in_deploy_files_and_docs_is_an_option_of_the_cli()
    {
        var root = await CliHelp.PageAsync([]);
        var usages = new List<Usage>();
        var problems = new List<string>();

        var dockerfiles = DeployFiles().Where(f => Path.GetFileName(f).StartsWith("Dockerfile", StringComparison.Ordinal)).ToList();
        Assert.Contains(Path.Combine(DeployCheck.DeployFolder, "docker", "Dockerfile"), dockerfiles);
        usages.AddRange(dockerfiles.Select(f => Usages.FromDockerfile(Relative(f), File.ReadAllText(f), problems)));

        var yamlFiles = DeployFiles().Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).ToList();
        var scan = await DeployCheck.NodeAsync("orleansray-usages.js", [.. yamlFiles]);
        Assert.True(scan.ExitCode == 0, scan.ToString());
        var fromYaml = Usages.FromYamlScan(scan.Output).ToList();
        // The scan sees the head's and the workers' containers (and, once they land, the compose services).
        Assert.Contains(fromYaml, u => u.Source.Contains("kubernetes/head.yaml", StringComparison.Ordinal) && u.Tokens.Contains("--head"));
        Assert.Contains(fromYaml, u => u.Source.Contains("kubernetes/worker.yaml", StringComparison.Ordinal) && u.Tokens.Contains("--address"));
        foreach (var compose in yamlFiles.Where(f => Path.GetFileName(f).Contains("compose", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(compose);
            var startsNodes = text.Contains("--head", StringComparison.Ordinal) || text.Contains("--address", StringComparison.Ordinal);
            Assert.True(!startsNodes || fromYaml.Any(u => u.Source.StartsWith(Relative(compose) + " ", StringComparison.Ordinal)),
                $"{compose} starts nodes, but the scan found no orleansray service in it");
        }

        usages.AddRange(fromYaml);
        var texts = DeployFiles().Append(Path.Combine(RepositoryFiles.Root, "docs", "deploy.md")).Where(File.Exists);
        usages.AddRange(texts.SelectMany(f => Usages.FromText(Relative(f), File.ReadAllText(f), root.Commands)));
        Assert.Contains(usages, u => u.Source.StartsWith("docs/deploy.md", StringComparison.Ordinal));

        problems.AddRange(await Usages.ProblemsAsync(usages, CliHelp.PageAsync));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Every_ORLEANSRAY_variable_in_deploy_files_and_docs_is_read_by_the_cli_or_library()
    {
        var known = Usages.KnownEnvironmentNames(RepositoryFiles.Root);
        var files = DeployFiles().Append(Path.Combine(RepositoryFiles.Root, "docs", "deploy.md")).Where(File.Exists).ToList();
        var used = files.SelectMany(f => Usages.EnvironmentNames(File.ReadAllText(f)).Select(name => (File: Relative(f), Name: name))).ToList();

        Assert.Contains(used, u => u.Name == "ORLEANSRAY_AUTH_TOKEN" && u.File.StartsWith("deploy/kubernetes/", StringComparison.Ordinal));
        Assert.Contains(used, u => u.Name == "ORLEANSRAY_STORAGE" && u.File.StartsWith("deploy/kubernetes/", StringComparison.Ordinal));
        var unknown = used.Where(u => !known.Contains(u.Name)).Select(u => $"{u.File}: {u.Name}").ToList();
        Assert.True(unknown.Count == 0, "not read anywhere in the CLI or library: " + string.Join(", ", unknown));
    }

    [Fact]
    public void A_made_up_variable_is_not_among_the_known_names()
    {
        var known = Usages.KnownEnvironmentNames(RepositoryFiles.Root);
        var used = Usages.EnvironmentNames("env: ORLEANSRAY_AUTH_TOKEN=x ORLEANSRAY_AUTH_TOKENS=y ${ORLEANSRAY_MADE_UP}").ToList();
        Assert.Equal(["ORLEANSRAY_AUTH_TOKEN", "ORLEANSRAY_AUTH_TOKENS", "ORLEANSRAY_MADE_UP"], used);
        Assert.Equal(["ORLEANSRAY_AUTH_TOKENS", "ORLEANSRAY_MADE_UP"], used.Where(n => !known.Contains(n)));
    }

    /// <summary>Every file under deploy/ but the developer's own secret files (git ignores them).</summary>
    private static IEnumerable<string> DeployFiles() =>
        Directory.EnumerateFiles(DeployCheck.DeployFolder, "*", SearchOption.AllDirectories)
            .Where(f => !Manifests.SecretFiles.Any(s => Relative(f) == "deploy/kubernetes/" + s))
            .Order(StringComparer.Ordinal);

    private static string Relative(string path) => Path.GetRelativePath(RepositoryFiles.Root, path).Replace('\\', '/');
}
