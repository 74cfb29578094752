using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>The README's <c>csharp</c> blocks as a new user writes them: each is the whole <c>Program.cs</c> of a new
/// console project made as <c>dotnet new console</c> makes it (ImplicitUsings and Nullable on, nothing of this
/// repository's build settings), referencing <c>Client/OrleansRay.csproj</c>. It must build and run (issue 9, case 14:
/// Orleans' implicit <c>global using Orleans.Runtime;</c> made <c>PlacementStrategy</c> ambiguous in such a project). A block
/// whose first line says the project also references Microsoft.Orleans.Sdk (grain-interface actors) gets that reference.</summary>
public sealed partial class ReadmeSamplesTests : IDisposable
{
    private readonly DirectoryInfo _project = Directory.CreateTempSubdirectory("orl-readme-");

    [Fact]
    public async Task Every_csharp_block_of_the_README_builds_and_runs_as_the_Program_cs_of_a_new_console_project()
    {
        var root = RepositoryFiles.Root;
        var blocks = CSharpBlocks(await File.ReadAllTextAsync(Path.Combine(root, "README.md")));
        Assert.True(blocks.Count >= 2, $"README.md has {blocks.Count} csharp blocks; the quickstart and the placement-group sample were expected.");

        var configuration = RepositoryFiles.Configuration;
        var plainProject = $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "Client", "OrleansRay.csproj")}" />
              </ItemGroup>
            </Project>
            """;
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };

        // One new console project per block (a folder named after its README line), all built by one `dotnet build` of
        // a solution that lists them: one restore, the OrleansRay references built once, the projects in parallel.
        var solution = new StringBuilder("<Solution>\n");
        foreach (var (line, code) in blocks)
        {
            var folder = Directory.CreateDirectory(Path.Combine(_project.FullName, ProjectFolder(line)));
            // A block that says its project also references the Orleans SDK (actors behind grain interfaces: Orleans
            // generates their proxies in the user's project) gets that reference, with the version the block names.
            var sdk = OrleansSdkLine().Match(code);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, ProjectName(line) + ".csproj"), sdk.Success
                ? plainProject.Replace("<ItemGroup>", $"<ItemGroup>\n    {sdk.Groups["reference"].Value}", StringComparison.Ordinal)
                : plainProject);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Program.cs"), code);
            solution.Append(CultureInfo.InvariantCulture, $"  <Project Path=\"{ProjectFolder(line)}/{ProjectName(line)}.csproj\" />\n");
        }

        var solutionFile = Path.Combine(_project.FullName, "Samples.slnx");
        await File.WriteAllTextAsync(solutionFile, solution.Append("</Solution>\n").ToString());

        // No build servers: nothing this test starts may outlive it. A failing block's errors name its folder (its line).
        var build = await ProcessRunner.RunAsync(DotNet, ["build", solutionFile, "-c", configuration, "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v", "q"],
            TimeSpan.FromMinutes(10), environment, _project.FullName);
        Assert.True(build.ExitCode == 0, $"A README csharp block does not build as a new console project's Program.cs (its folder line-N names its README line):\n{build}");

        foreach (var (line, _) in blocks)
        {
            var folder = Path.Combine(_project.FullName, ProjectFolder(line));
            var program = Path.Combine(folder, "bin", configuration, "net10.0", ProjectName(line) + ".dll");
            var run = await ProcessRunner.RunAsync(DotNet, [program], TimeSpan.FromMinutes(2), environment, folder);
            Assert.True(run.ExitCode == 0 && run.Output.Trim().Length > 0, $"The README's csharp block at line {line} built but did not run cleanly:\n{run}");
        }
    }

    private static string ProjectFolder(int line) => string.Create(CultureInfo.InvariantCulture, $"line-{line:D4}");

    /// <summary>A solution needs distinct project names: UserApp0123 for the block at line 123.</summary>
    private static string ProjectName(int line) => string.Create(CultureInfo.InvariantCulture, $"UserApp{line:D4}");

    public void Dispose() => _project.Delete(recursive: true);

    private static List<(int Line, string Code)> CSharpBlocks(string markdown)
    {
        var blocks = new List<(int, string)>();
        foreach (Match match in CSharpBlock().Matches(markdown))
        {
            var line = markdown.AsSpan(0, match.Index).Count('\n') + 1;
            blocks.Add((line, match.Groups["code"].Value));
        }

        return blocks;
    }

    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^// UserApp\.csproj also has: (?<reference><PackageReference Include=""Microsoft\.Orleans\.Sdk"" Version=""[^""]+"" />)", RegexOptions.Multiline)]
    private static partial Regex OrleansSdkLine();

    private static string DotNet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
