using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>examples/GrainActors runs as its README tells a user (<c>dotnet run --project examples/GrainActors</c>; the
/// suite built it already, so <c>--no-build</c>) and prints what its actor behind a grain interface did.</summary>
public sealed class GrainActorsExampleTests
{
    [Fact]
    public async Task The_grain_actors_example_creates_finds_calls_passes_and_kills_its_actor()
    {
        var run = await ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            ["run", "--project", Path.Combine("examples", "GrainActors"), "--no-build", "-c", RepositoryFiles.Configuration],
            TimeSpan.FromSeconds(180),
            workingDirectory: RepositoryFiles.Root);

        Assert.True(run.ExitCode == 0, run.ToString());
        // The program's own lines (a warning of the embedded node's console log would be a line of its own, "warn: ...").
        var lines = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith("warn: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["ada: 3", "ada: 5", "scores from tasks: 8, 6", "leader: grace with 8", "killed: calls now throw ActorDiedException"], lines);
    }
}
