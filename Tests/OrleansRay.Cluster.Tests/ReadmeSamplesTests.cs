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
        var projectFile = Path.Combine(_project.FullName, "UserApp.csproj");
        await File.WriteAllTextAsync(projectFile, $"""
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
            """);
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };

        var plainProject = await File.ReadAllTextAsync(projectFile);
        var referencesBuilt = false;
        foreach (var (line, code) in blocks)
        {
            // A block that says its project also references the Orleans SDK (actors behind grain interfaces: Orleans
            // generates their proxies in the user's project) gets that reference, with the version the block names.
            var sdk = OrleansSdkLine().Match(code);
            await File.WriteAllTextAsync(projectFile, sdk.Success
                ? plainProject.Replace("<ItemGroup>", $"<ItemGroup>\n    {sdk.Groups["reference"].Value}", StringComparison.Ordinal)
                : plainProject);
            await File.WriteAllTextAsync(Path.Combine(_project.FullName, "Program.cs"), code);
            // No build servers: nothing this test starts may outlive it.
            // The referenced OrleansRay projects are built by the first block's build; later builds compile only the
            // user's project (the same references, so the same outputs), which saves the reference walk per block.
            List<string> arguments = ["build", projectFile, "-c", configuration, "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v", "q"];
            if (referencesBuilt)
            {
                arguments.Add("-p:BuildProjectReferences=false");
            }

            var build = await ProcessRunner.RunAsync(DotNet, arguments, TimeSpan.FromMinutes(5), environment, _project.FullName);
            Assert.True(build.ExitCode == 0, $"The README's csharp block at line {line} does not build as a new console project's Program.cs:\n{build}");
            referencesBuilt = true;

            var program = Path.Combine(_project.FullName, "bin", configuration, "net10.0", "UserApp.dll");
            var run = await ProcessRunner.RunAsync(DotNet, [program], TimeSpan.FromMinutes(2), environment, _project.FullName);
            Assert.True(run.ExitCode == 0 && run.Output.Trim().Length > 0, $"The README's csharp block at line {line} built but did not run cleanly:\n{run}");
        }
    }

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
