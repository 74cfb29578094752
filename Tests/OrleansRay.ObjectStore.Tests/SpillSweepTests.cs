using System.Diagnostics;
using OrleansRay.ObjectStore.Storage;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>Spill folders left by stores whose process was killed are removed by the next store on the machine.</summary>
public sealed class SpillSweepTests
{
    [Fact]
    public void Spill_folders_of_dead_stores_are_removed_and_live_or_foreign_ones_kept()
    {
        var parent = Directory.CreateTempSubdirectory("orleansray-spill-sweep-").FullName;
        try
        {
            var deadPid = ExitedPid();
            var dead = Path.Combine(parent, $"{StaleSpillDirectories.Prefix}{deadPid}-0123456789ab");
            var live = StaleSpillDirectories.NewPath(parent);
            var foreign = Path.Combine(parent, $"{StaleSpillDirectories.Prefix}not-a-pid");
            foreach (var folder in new[] { dead, live, foreign })
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "object.spill"), "spilled bytes");
            }

            Assert.Equal(1, StaleSpillDirectories.Remove(parent));
            Assert.False(Directory.Exists(dead));
            Assert.True(File.Exists(Path.Combine(live, "object.spill")));
            Assert.True(File.Exists(Path.Combine(foreign, "object.spill")));
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task Starting_a_store_that_makes_its_own_spill_folder_removes_a_killed_stores_folder()
    {
        var dead = Path.Combine(Path.GetTempPath(), $"{StaleSpillDirectories.Prefix}{ExitedPid()}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "object.spill"), "spilled bytes");
        try
        {
            await using var store = await TestStore.StartEmbeddedAsync(1 << 20);
            Assert.False(Directory.Exists(dead), $"{dead} should have been removed when the store started");
        }
        finally
        {
            if (Directory.Exists(dead))
            {
                Directory.Delete(dead, recursive: true);
            }
        }
    }

    /// <summary>The pid of a process that has exited (and is reaped), so no live process has it for the test's span
    /// unless the kernel reuses it at once, which it does only after wrapping pid_max.</summary>
    private static int ExitedPid()
    {
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        return finished.Id;
    }
}
