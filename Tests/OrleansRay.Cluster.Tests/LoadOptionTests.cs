using System.Globalization;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray start --load PATH.dll</c>: a node loads application assemblies before it starts; a file that
/// cannot be loaded is a one-line error before anything starts.</summary>
public sealed class LoadOptionTests : IDisposable
{
    private readonly OrleansRayCommand _command = new("orl-");

    [Fact]
    public async Task A_relative_load_path_is_taken_from_the_current_folder_and_the_node_maps_the_assembly()
    {
        var folder = Path.GetDirectoryName(LocalCluster.TestAppAssembly)!;
        var port = TestPorts.Free().ToString(CultureInfo.InvariantCulture);

        var start = await _command.RunInAsync(folder, "start", "--head", "--port", port, "--dashboard-port", TestPorts.Free().ToString(CultureInfo.InvariantCulture),
            "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(CultureInfo.InvariantCulture), "--load", "OrleansRay.Cluster.TestApp.dll");

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains("OrleansRay.Cluster.TestApp.dll (1 assembly)", start.Output, StringComparison.Ordinal);
        var pid = Assert.Single(_command.NodePids());
        // Loaded before the silo started, from the full path the relative one names.
        Assert.Contains(LocalCluster.TestAppAssembly, await File.ReadAllTextAsync($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/maps"), StringComparison.Ordinal);
        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        await Poll.UntilAsync(() => !OrleansRayCommand.IsRunning(pid), TimeSpan.FromSeconds(30), $"node {pid} to exit");
    }

    [Fact]
    public async Task A_missing_file_is_one_line_naming_it_with_exit_code_2()
    {
        var result = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--load", "no/such/App.dll");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --load no/such/App.dll: no such file", line, StringComparison.Ordinal);
        Assert.Contains("dotnet build", line, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task A_file_that_is_not_a_dotnet_assembly_is_one_line_saying_so_with_exit_code_2()
    {
        var bogus = Path.Combine(_command.TempDirectory, "NotAnAssembly.dll");
        await File.WriteAllTextAsync(bogus, "not a PE file");

        var result = await _command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--load", LocalCluster.TestAppAssembly, "--load", bogus);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --load {bogus}: not a .NET assembly", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task Help_explains_load()
    {
        var help = await _command.RunAsync("start", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--load <PATH.dll>", help.Output, StringComparison.Ordinal);
        Assert.Contains("Repeat for several", help.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _command.Dispose();
}
