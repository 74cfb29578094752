using System.Globalization;

namespace OrleansRay.Tests.Processes;

/// <summary>Processes by pid, read from /proc: children of a node, start times (so a reused pid is never taken for the
/// process a test started), signals. Never by name.</summary>
public static class ProcessTree
{
    /// <summary>A process as a test knows it: pid plus its start time in clock ticks since boot (/proc/pid/stat field 22).</summary>
    public readonly record struct Identity(int Pid, long StartTicks, string What)
    {
        public override string ToString() => $"{What} (pid {Pid.ToString(CultureInfo.InvariantCulture)})";
    }

    /// <summary>The identity of a running process, or null when it is gone.</summary>
    public static Identity? Identify(int pid, string what) =>
        ReadStat(pid) is { } stat ? new Identity(pid, stat.StartTicks, what) : null;

    /// <summary>True while the very process of <paramref name="identity"/> runs (not a zombie, not a stranger reusing its pid).</summary>
    public static bool IsRunning(Identity identity) =>
        ReadStat(identity.Pid) is { } stat && stat.StartTicks == identity.StartTicks && stat.State != 'Z';

    /// <summary>Live children of <paramref name="parent"/> whose program path ends with <paramref name="name"/>.</summary>
    public static List<Identity> Children(int parent, string name)
    {
        var result = new List<Identity>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (ReadStat(pid) is { } stat && stat.ParentPid == parent && stat.State != 'Z'
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0')[0].EndsWith(name, StringComparison.Ordinal))
                {
                    result.Add(new Identity(pid, stat.StartTicks, name));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process exited while we looked.
            }
        }

        return result;
    }

    /// <summary>Sends SIGKILL (kill -9) to the process, if it is still the one we started; waits until it is gone.</summary>
    public static async Task KillAsync(Identity identity, TimeSpan deadline) => await SignalAsync(identity, "KILL", deadline);

    /// <summary>Sends SIGTERM (a node leaves the cluster cleanly) and waits until the process is gone.</summary>
    public static async Task TerminateAsync(Identity identity, TimeSpan deadline) => await SignalAsync(identity, "TERM", deadline);

    /// <summary>Sends SIGSTOP: the process stops running (its sockets stay open, nothing answers) until <see cref="ResumeAsync"/>.</summary>
    public static async Task PauseAsync(Identity identity)
    {
        if (IsRunning(identity))
        {
            var result = await ProcessRunner.RunAsync("kill", ["-s", "STOP", identity.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -s STOP {identity} failed: {result}");
            }
        }
    }

    /// <summary>Sends SIGCONT: a process stopped by <see cref="PauseAsync"/> runs again.</summary>
    public static async Task ResumeAsync(Identity identity)
    {
        if (IsRunning(identity))
        {
            var result = await ProcessRunner.RunAsync("kill", ["-s", "CONT", identity.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -s CONT {identity} failed: {result}");
            }
        }
    }

    private static async Task SignalAsync(Identity identity, string signal, TimeSpan deadline)
    {
        if (!IsRunning(identity))
        {
            return;
        }

        await ProcessRunner.RunAsync("kill", ["-s", signal, identity.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(() => !IsRunning(identity), deadline, $"{identity} to exit after SIG{signal}");
        if (signal == "KILL")
        {
            RemoveRuntimeFiles(identity);
        }
    }

    /// <summary>A .NET process removes its debugger pipes and diagnostics socket from the temp folder when it exits;
    /// killed, it leaves them (named by pid and start time, so these names are this process's alone).</summary>
    private static void RemoveRuntimeFiles(Identity identity)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{identity.Pid}-{identity.StartTicks}");
        foreach (var name in (string[])[$"clr-debug-pipe-{key}-in", $"clr-debug-pipe-{key}-out", $"dotnet-diagnostic-{key}-socket"])
        {
            try
            {
                File.Delete(Path.Combine(Path.GetTempPath(), name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not ours to worry about: a leftover pipe holds no resource but its name.
            }
        }
    }

    private static (char State, int ParentPid, long StartTicks)? ReadStat(int pid)
    {
        try
        {
            // "pid (comm) state ppid ... starttime(22) ...": comm may hold spaces and parentheses; fields follow the last ')'.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
