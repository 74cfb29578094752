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
}
