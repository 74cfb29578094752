using System.Globalization;

namespace OrleansRay.ObjectStore.Storage;

/// <summary>Finds and removes the spill folders of stores whose process no longer runs.</summary>
/// <remarks>A store names the spill folder it creates for itself <c>orleansray-spill-{pid}-{id}</c> in the temp folder and
/// deletes it when disposed. A process killed with SIGKILL cannot, and its spilled objects (which nobody can read any
/// more: the store that indexed them is gone) would hold disk until the machine's temp folder is cleared; the next store
/// started on the machine removes them, as <see cref="Arena.ArenaMapping"/> does for arena files in /dev/shm. A folder
/// whose pid is live (<see cref="OwnerProcess.IsLive"/>; a zombie is not) or unknown (no /proc) is left alone.</remarks>
internal static class StaleSpillDirectories
{
    /// <summary>The name prefix of a store-owned spill folder; the owner's pid and a random id follow.</summary>
    public const string Prefix = "orleansray-spill-";

    /// <summary>A new spill folder's path for a store in this process, under <paramref name="parent"/>.</summary>
    public static string NewPath(string parent) =>
        Path.Combine(parent, Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Deletes the spill folders under <paramref name="parent"/> whose owning process has exited.</summary>
    /// <returns>How many folders were removed.</returns>
    public static int Remove(string parent)
    {
        if (!Directory.Exists("/proc/self"))
        {
            return 0;
        }

        var removed = 0;
        try
        {
            foreach (var folder in Directory.EnumerateDirectories(parent, Prefix + "*"))
            {
                var rest = Path.GetFileName(folder).AsSpan(Prefix.Length);
                var dash = rest.IndexOf('-');
                if (dash <= 0
                    || !int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || pid == Environment.ProcessId
                    || OwnerProcess.IsLive(pid))
                {
                    continue;
                }

                try
                {
                    Directory.Delete(folder, recursive: true);
                    removed++;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's folder, or another store sweeping at the same moment: not ours to insist on.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unreadable temp folder: creating the spill folder reports the real problem.
        }

        return removed;
    }
}
