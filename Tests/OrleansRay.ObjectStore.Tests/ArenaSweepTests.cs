using System.Diagnostics;
using OrleansRay.ObjectStore.Arena;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

public sealed class ArenaSweepTests
{
    [Fact]
    public void Arenas_of_dead_stores_are_removed_and_live_ones_kept()
    {
        var dir = Directory.CreateTempSubdirectory("orleansray-sweep-").FullName;
        try
        {
            using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            finished.WaitForExit();
            var deadPid = finished.Id;
            var dead = Path.Combine(dir, $"orleansray-store-{deadPid}-{Guid.NewGuid():N}.arena");
            var live = Path.Combine(dir, $"orleansray-store-{Environment.ProcessId}-{Guid.NewGuid():N}.arena");
            var other = Path.Combine(dir, "unrelated.arena");
            File.WriteAllText(dead, "x");
            File.WriteAllText(live, "x");
            File.WriteAllText(other, "x");

            Assert.Equal(1, ArenaMapping.RemoveStaleArenas(dir));
            Assert.False(File.Exists(dead));
            Assert.True(File.Exists(live));
            Assert.True(File.Exists(other));

            // Creating a store sweeps its arena directory first.
            File.WriteAllText(dead, "x");
            using (ArenaMapping.Create(dir, 1 << 20, prefault: false))
            {
                Assert.False(File.Exists(dead));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A store killed with its node is reparented, and where nothing reaps it (a container's first process that
    /// does not) it lingers as a zombie in /proc: its arena is stale all the same (a CLI test's `stop` left one so).</summary>
    [Fact]
    public async Task The_arena_and_spill_folder_of_a_zombie_store_are_removed()
    {
        var dir = Directory.CreateTempSubdirectory("orleansray-sweep-").FullName;
        // bash starts a child that waits for a line on the test's pipe, prints its pid, then becomes `sleep`, which never
        // reaps it. The child exits only once bash has become `sleep` (bash itself would reap it: a busy machine made a
        // child that exited at once race bash's exec), so it stays a zombie for as long as the sleep runs.
        using var parent = Process.Start(new ProcessStartInfo("bash", ["-c", "exec 3<&0; head -n 1 <&3 >/dev/null & echo $!; exec sleep 120"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        })!;
        try
        {
            var zombie = int.Parse((await parent.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Command(parent.Id) != "sleep")
            {
                Assert.True(DateTime.UtcNow < deadline, $"bash ({parent.Id}) did not become sleep ({Command(parent.Id)})");
                await Task.Delay(20);
            }

            await parent.StandardInput.WriteLineAsync("exit");
            await parent.StandardInput.FlushAsync();
            while (State(zombie) != 'Z')
            {
                Assert.True(DateTime.UtcNow < deadline, $"process {zombie} did not become a zombie (state {State(zombie)})");
                await Task.Delay(20);
            }

            Assert.True(Directory.Exists($"/proc/{zombie}"), "a zombie is still in /proc");
            var arena = Path.Combine(dir, $"orleansray-store-{zombie}-{Guid.NewGuid():N}.arena");
            File.WriteAllText(arena, "x");

            Assert.Equal(1, ArenaMapping.RemoveStaleArenas(dir));
            Assert.False(File.Exists(arena));

            // The spill folders' sweep asks the same question.
            var spill = Path.Combine(dir, $"{OrleansRay.ObjectStore.Storage.StaleSpillDirectories.Prefix}{zombie}-{Guid.NewGuid():N}"[..^20]);
            Directory.CreateDirectory(spill);
            Assert.Equal(1, OrleansRay.ObjectStore.Storage.StaleSpillDirectories.Remove(dir));
            Assert.False(Directory.Exists(spill));
        }
        finally
        {
            parent.Kill();
            await parent.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The command name of a process from /proc/PID/comm, or "?" when it is gone.</summary>
    private static string Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>The state letter of a process from /proc/PID/stat, or '?' when it is gone.</summary>
    private static char State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return '?';
        }
    }
}
