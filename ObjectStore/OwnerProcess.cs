using System.Globalization;

namespace OrleansRay.ObjectStore;

/// <summary>Whether the store process named in a leftover file's name (an arena in /dev/shm, a spill folder) still
/// runs: the sweeps that remove what killed stores left behind ask it.</summary>
internal static class OwnerProcess
{
    /// <summary>True while process <paramref name="pid"/> exists and is not a zombie. A store killed with its node is
    /// reparented, and where nothing reaps it soon (a container whose first process does not reap) it stays a zombie in
    /// /proc, though it holds its arena and spill folder no more. An entry this process may not read is taken as live.</summary>
    public static bool IsLive(int pid) => State(pid) is { } state && state is not ('Z' or 'X');

    /// <summary>True when process <paramref name="pid"/> has exited but is not reaped yet (state Z, or X): .NET still
    /// counts such a process as running. False when it runs, is gone, or cannot be read.</summary>
    public static bool IsZombie(int pid) => State(pid) is 'Z' or 'X';

    /// <summary>The state letter in <c>/proc/PID/stat</c>; null when there is no such entry (gone, or not Linux); '?' when
    /// it cannot be read or parsed.</summary>
    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "pid (comm) state ...": comm may hold spaces and parentheses; the state follows the last ')'.
            var end = stat.LastIndexOf(')');
            return end < 0 || end + 2 >= stat.Length ? '?' : stat[end + 2];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex is UnauthorizedAccessException ? '?' : null;
        }
    }
}
