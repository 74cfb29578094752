using System.Text;
using Microsoft.Win32.SafeHandles;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Hosting;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>The rotation of a node's log (Ray's <c>RAY_ROTATION_MAX_BYTES</c> / <c>RAY_ROTATION_BACKUP_COUNT</c>) on a
/// file of the test's own: a descriptor of this process appends to it as a node's standard output appends to its log,
/// and rotation re-points that descriptor. <see cref="NodeLogRotationClusterTests"/> does the same on a real node.</summary>
public sealed class NodeLogRotationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansray-logrot-").FullName;

    private string Log => Path.Combine(_folder, "node-30000.log");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_log_under_its_limit_stays_and_one_at_the_limit_moves_to_part_1_while_the_same_descriptor_writes_on_in_a_new_file()
    {
        using var output = OpenLog();
        var descriptor = (int)output.DangerousGetHandle();
        using var rotation = new NodeLogRotation(Log, [descriptor], new LogRotationSettings(100, 3), checkTimer: false);

        Write(descriptor, new string('a', 59) + "\n");
        Assert.False(rotation.RotateIfDue());
        Assert.False(File.Exists(Log + ".1"));

        Write(descriptor, new string('b', 39) + "\n");
        Assert.Equal(100, new FileInfo(Log).Length);
        Assert.True(rotation.RotateIfDue());
        Assert.Equal(new string('a', 59) + "\n" + new string('b', 39) + "\n", File.ReadAllText(Log + ".1"));

        // The descriptor now appends to the new file, which starts with a line saying where the rest is.
        Write(descriptor, "after\n");
        var lines = File.ReadAllLines(Log);
        Assert.Equal(2, lines.Length);
        Assert.Contains("info: log rotated at 100 bytes; the previous part is node-30000.log.1.", lines[0], StringComparison.Ordinal);
        Assert.Equal("after", lines[1]);
        Assert.DoesNotContain("after", File.ReadAllText(Log + ".1"), StringComparison.Ordinal);
    }

    [Fact]
    public void Parts_move_up_one_number_on_each_rotation_and_the_oldest_beyond_the_backup_count_is_deleted()
    {
        using var output = OpenLog();
        var descriptor = (int)output.DangerousGetHandle();
        using var rotation = new NodeLogRotation(Log, [descriptor], new LogRotationSettings(10, 2), checkTimer: false);
        for (var round = 1; round <= 4; round++)
        {
            Write(descriptor, $"round {round} of the log\n");
            Assert.True(rotation.RotateIfDue(), $"round {round} did not rotate");
        }

        Assert.Contains("round 4 of the log", File.ReadAllText(Log + ".1"), StringComparison.Ordinal);
        Assert.Contains("round 3 of the log", File.ReadAllText(Log + ".2"), StringComparison.Ordinal);
        Assert.False(File.Exists(Log + ".3"), "a third part was kept with a backup count of 2");
        Assert.DoesNotContain("round", File.ReadAllText(Log), StringComparison.Ordinal);
        Assert.Equal(["node-30000.log", "node-30000.log.1", "node-30000.log.2"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_backup_count_of_0_keeps_no_part_and_a_log_removed_by_someone_else_is_started_again()
    {
        using var output = OpenLog();
        var descriptor = (int)output.DangerousGetHandle();
        using var rotation = new NodeLogRotation(Log, [descriptor], new LogRotationSettings(10, 0), checkTimer: false);
        Write(descriptor, "old content of the log\n");
        Assert.True(rotation.RotateIfDue());
        Assert.False(File.Exists(Log + ".1"));
        Assert.Contains("the previous part was deleted (backup count 0)", File.ReadAllText(Log), StringComparison.Ordinal);

        // An operator deletes the log: the next check starts a new one, and the node's writes go there.
        File.Delete(Log);
        Assert.True(rotation.RotateIfDue());
        Write(descriptor, "written after the delete\n");
        Assert.Contains("written after the delete", File.ReadAllText(Log), StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_default_to_Rays_and_refuse_what_is_not_a_whole_number_in_one_line_naming_the_variable()
    {
        Assert.Equal(new LogRotationSettings(512L << 20, 5), LogRotationSettings.FromEnvironment(_ => null));
        Assert.Equal(new LogRotationSettings(0, 0), LogRotationSettings.FromEnvironment(_ => "0"));
        Assert.Equal(new LogRotationSettings(1_000_000, 5), LogRotationSettings.FromEnvironment(v => v == LogRotationSettings.MaxBytesVariable ? " 1000000 " : ""));

        foreach (var (variable, value) in new[] { (LogRotationSettings.MaxBytesVariable, "512M"), (LogRotationSettings.MaxBytesVariable, "-1"), (LogRotationSettings.BackupCountVariable, "1.5"), (LogRotationSettings.BackupCountVariable, "1001") })
        {
            var error = Assert.Throws<CliException>(() => LogRotationSettings.FromEnvironment(v => v == variable ? value : null));
            Assert.Equal(CliException.UsageExitCode, error.ExitCode);
            Assert.StartsWith($"{variable}={value} is not a whole number from 0 to ", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error.Message);
        }
    }

    /// <summary>The log opened for appending, as the shell's <c>&gt;&gt;</c> opens a node's.</summary>
    private SafeFileHandle OpenLog() => File.OpenHandle(Log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

    private static void Write(int descriptor, string text) => DescriptorStream.WriteAll(descriptor, Encoding.UTF8.GetBytes(text));
}
