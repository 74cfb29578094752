using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Deploy.Tests;

/// <summary>deploy/docker/Dockerfile passes dockerfilelint, and what it copies and publishes exists: no Docker engine
/// runs here, so a renamed project or a missing project file in the restore layer is caught by reading the file.</summary>
public sealed class DockerfileTests
{
    private static readonly string DockerfilePath = Path.Combine(DeployCheck.DeployFolder, "docker", "Dockerfile");

    [Fact]
    public async Task Dockerfile_passes_dockerfilelint()
    {
        var result = await DeployCheck.DockerfileLintAsync(DockerfilePath);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.Output);
        Assert.Equal(0, report.RootElement.GetProperty("totalIssues").GetInt32());
        Assert.Equal(1, report.RootElement.GetProperty("files").GetArrayLength());
    }

    [Fact]
    public async Task Dockerfilelint_flags_a_bad_dockerfile()
    {
        var bad = DeployCheck.TempFile("FROM ubuntu:latest\nRUN apt-get install curl\nEXPOSE abc\nENTRYPOINT orleansray\n", ".Dockerfile");
        try
        {
            var result = await DeployCheck.DockerfileLintAsync(bad);
            Assert.NotEqual(0, result.ExitCode);
            using var report = JsonDocument.Parse(result.Output);
            var titles = report.RootElement.GetProperty("files")[0].GetProperty("issues").EnumerateArray().Select(i => i.GetProperty("title").GetString()).ToList();
            Assert.Contains("Base Image Latest Tag", titles);
            Assert.Contains("Invalid Port Exposed", titles);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void Every_copied_path_exists_and_is_not_left_out_by_dockerignore()
    {
        var ignore = DockerIgnore(File.ReadAllText(Path.Combine(RepositoryFiles.Root, ".dockerignore")));
        var sources = CopySources(File.ReadAllText(DockerfilePath)).ToList();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = Path.Combine(RepositoryFiles.Root, source.TrimEnd('/'));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"COPY {source}: not in the repository");
            Assert.False(ignore.Any(p => p.IsMatch(source.TrimEnd('/'))), $"COPY {source}: .dockerignore leaves it out of the build context");
        }

        // The context leaves out build output and history (the point of the file).
        foreach (var excluded in new[] { "Silo/bin", "Client/obj", ".git", "Tests" })
        {
            Assert.True(ignore.Any(p => p.IsMatch(excluded)), $".dockerignore does not leave out {excluded}");
        }
    }

    [Fact]
    public void The_restore_layer_copies_every_project_file_the_cli_needs_and_publish_names_the_cli()
    {
        var text = File.ReadAllText(DockerfilePath);
        var instructions = Usages.DockerfileInstructions(text).ToList();
        var restore = instructions.FindIndex(i => i.Instruction == "RUN" && i.Argument.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, "no RUN dotnet restore");
        var beforeRestore = instructions.Take(restore).Where(i => i.Instruction == "COPY").SelectMany(i => CopySources("COPY " + i.Argument)).ToHashSet();

        // The CLI's project graph, read from the project files: every one must be in the restore layer.
        var graph = ProjectGraph(Path.Combine(RepositoryFiles.Root, "Silo", "OrleansRay.Silo.csproj"));
        Assert.Contains("ObjectStore/Server/OrleansRay.ObjectStore.Server.csproj", graph);
        foreach (var project in graph)
        {
            Assert.Contains(project, beforeRestore);
        }

        foreach (var shared in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.Contains(shared, beforeRestore);
        }

        var publish = instructions.Single(i => i.Instruction == "RUN" && i.Argument.Contains("dotnet publish", StringComparison.Ordinal)).Argument;
        Assert.Contains("dotnet publish Silo/OrleansRay.Silo.csproj", publish, StringComparison.Ordinal);
        Assert.Contains("--output /app", publish, StringComparison.Ordinal);
        // The command's name and the store's, as the image's ENTRYPOINT and the node expect them.
        var silo = XDocument.Load(Path.Combine(RepositoryFiles.Root, "Silo", "OrleansRay.Silo.csproj"));
        Assert.Equal("orleansray", silo.Descendants("CommandName").Single().Value);
        var store = XDocument.Load(Path.Combine(RepositoryFiles.Root, "ObjectStore", "Server", "OrleansRay.ObjectStore.Server.csproj"));
        Assert.Equal("orleansray-store", store.Descendants("AssemblyName").Single().Value);
        Assert.Contains("test -x /app/orleansray-store", publish, StringComparison.Ordinal);
    }

    [Fact]
    public void The_runtime_stage_is_aspnet_non_root_exec_form_and_exposes_the_node_ports()
    {
        var instructions = Usages.DockerfileInstructions(File.ReadAllText(DockerfilePath)).ToList();
        var froms = instructions.Where(i => i.Instruction == "FROM").Select(i => i.Argument).ToList();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0 AS build", "mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime"], froms);
        var runtime = instructions.Skip(instructions.FindLastIndex(i => i.Instruction == "FROM")).ToList();

        var user = runtime.Single(i => i.Instruction == "USER").Argument;
        Assert.True(int.TryParse(user, out var uid) && uid > 0, $"USER {user}: a numeric non-root uid (Kubernetes' runAsNonRoot checks it)");
        Assert.Equal("SIGTERM", runtime.Single(i => i.Instruction == "STOPSIGNAL").Argument);
        var exposed = runtime.Where(i => i.Instruction == "EXPOSE").SelectMany(i => i.Argument.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Subset(exposed.ToHashSet(), new HashSet<string> { "30000", "8265" });
        var problems = new List<string>();
        var usage = Usages.FromDockerfile("Dockerfile", File.ReadAllText(DockerfilePath), problems);
        Assert.Empty(problems);
        Assert.Equal(["/app/orleansray", "start", "--head", "--block"], usage.Tokens.Take(4));
    }

    [Fact]
    public void A_shell_form_entrypoint_is_reported()
    {
        var problems = new List<string>();
        Usages.FromDockerfile("sample", "FROM x\nENTRYPOINT /app/orleansray start --head\n", problems);
        Assert.Contains(problems, p => p.Contains("ENTRYPOINT is not in exec form", StringComparison.Ordinal));
    }

    /// <summary>The repository paths COPY instructions read (not those copied from a build stage).</summary>
    private static IEnumerable<string> CopySources(string dockerfile)
    {
        foreach (var (instruction, argument) in Usages.DockerfileInstructions(dockerfile))
        {
            if (instruction != "COPY" || argument.Contains("--from=", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
            foreach (var source in parts.Take(parts.Count - 1))
            {
                yield return source;
            }
        }
    }

    /// <summary>The project files (relative to the root, with /) that <paramref name="project"/> references, itself included.</summary>
    private static HashSet<string> ProjectGraph(string project)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!found.Add(Path.GetRelativePath(RepositoryFiles.Root, current).Replace('\\', '/')))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, include)));
            }
        }

        return found;
    }

    /// <summary>.dockerignore's patterns as regular expressions over paths relative to the context (no ! exceptions:
    /// the file has none).</summary>
    private static List<Regex> DockerIgnore(string text)
    {
        var patterns = new List<Regex>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            Assert.False(line.StartsWith('!'), ".dockerignore exceptions are not understood by this test");
            var pattern = line.TrimEnd('/');
            var regex = "^" + Regex.Escape(pattern).Replace(@"\*\*/", "(?:.*/)?", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "(?:/.*)?$";
            patterns.Add(new Regex(regex, RegexOptions.CultureInvariant));
        }

        return patterns;
    }
}
