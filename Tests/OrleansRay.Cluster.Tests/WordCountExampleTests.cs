using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>README, "Run your program on a cluster": the WordCount example runs against a CLI cluster whose nodes never
/// loaded it, exactly as the README tells a new user (<c>dotnet run --project examples/WordCount -- ADDRESS</c>; the
/// suite built it already, so <c>--no-build</c>).</summary>
public sealed class WordCountExampleTests : IAsyncLifetime
{
    private LocalCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, LoadTestApp = false, ObjectStoreMemory = 64L << 20 });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task The_word_count_example_runs_on_nodes_that_never_loaded_it()
    {
        var run = await ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            ["run", "--project", Path.Combine("examples", "WordCount"), "--no-build", "-c", RepositoryFiles.Configuration, "--", _cluster.Address],
            TimeSpan.FromSeconds(180),
            // As on the head's machine: the driver finds the cluster's token in the head's folder by itself.
            new Dictionary<string, string> { ["ORLEANSRAY_TEMP_DIR"] = _cluster.TempDirectory },
            workingDirectory: RepositoryFiles.Root);

        Assert.True(run.ExitCode == 0, run + _cluster.Diagnostics());
        // The program's own lines (a warning of the client's console log would be a line of its own, "warn: ...").
        var lines = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith("warn: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["fox: 4", "the: 4", "dog: 2", "12 distinct words of at least 3 letters, counted on 2 node(s)"], lines);
    }
}
