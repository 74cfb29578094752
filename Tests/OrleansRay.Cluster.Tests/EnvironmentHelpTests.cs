using OrleansRay.Silo.Cli;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray start --help</c> ends with the environment variables a node reads that have no flag (log
/// rotation, the head's upload limit, a worker's patience with a lost head), each with its meaning and default; other
/// verbs' help is unchanged. Starts no node.</summary>
public sealed class EnvironmentHelpTests : IDisposable
{
    private readonly OrleansRayCommand _command = new("orl-");

    [Fact]
    public async Task Start_help_lists_every_variable_it_reads_after_its_options_and_other_help_does_not()
    {
        var help = await _command.RunAsync("start", "--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        var section = help.Output.IndexOf("Environment variables:", StringComparison.Ordinal);
        Assert.True(section > help.Output.IndexOf("--help", StringComparison.Ordinal), help.Output);
        var text = help.Output[section..];
        foreach (var name in new[]
        {
            "ORLEANSRAY_STORAGE", "ORLEANSRAY_AUTH_TOKEN", "ORLEANSRAY_TEMP_DIR", "ORLEANSRAY_ROTATION_MAX_BYTES",
            "ORLEANSRAY_ROTATION_BACKUP_COUNT", "ORLEANSRAY_JOB_MAX_UPLOAD", "ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S", "ORLEANSRAY_PLASMA_DIRECTORY",
        })
        {
            Assert.Contains("  " + name + " ", text, StringComparison.Ordinal);
        }

        Assert.Contains("536870912 (512 MiB)", text, StringComparison.Ordinal);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.True(line.Length <= 120, line));

        var status = await _command.RunAsync("status", "--help");
        Assert.Equal(0, status.ExitCode);
        Assert.DoesNotContain("Environment variables:", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_meanings_wrap_under_their_column()
    {
        var lines = EnvironmentHelp.StartSection(60).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Environment variables:", lines[0]);
        Assert.All(lines, line => Assert.True(line.Length <= 60, line));
        var column = lines[1].IndexOf("The --storage", StringComparison.Ordinal);
        Assert.True(column > 2, lines[1]);
        var continued = lines.Skip(1).Where(l => !l.StartsWith("  ORLEANSRAY_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(continued);
        Assert.All(continued, line => Assert.Equal(column, line.Length - line.TrimStart().Length));
    }

    public void Dispose() => _command.Dispose();
}
