using System.CommandLine;
using System.Globalization;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray stop</c>: stops every node this machine started (SIGTERM, SIGKILL after a deadline) and the
/// jobs it submitted that still run, and removes their files: pid files, the address file, job files, and the session
/// folders (logs, object store sockets and spill files) unless <c>--keep-logs</c>. Safe to run twice.</summary>
internal sealed class StopCommand : Command
{
    private readonly Option<bool> _keepLogs = new("--keep-logs") { Description = "Keep the session folders (the nodes' logs) instead of removing them with the nodes." };

    public StopCommand()
        : base("stop", "Stop every OrleansRay node started on this machine and remove their files (pid files, address file, session folders with logs unless --keep-logs).")
    {
        Options.Add(_keepLogs);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var console = ConsoleOutput.Create();
        // Jobs submitted from this machine first: their drivers leave while the cluster is still there.
        await JobRunner.StopJobsAsync(paths, belongs: null, keepFiles: parse.GetValue(_keepLogs), console, seen: null, cancellationToken).ConfigureAwait(false);
        var stopped = 0;
        // Workers first, the head last: workers leave a cluster whose primary is still there to see them go.
        var records = paths.PidFiles().Select(f => (File: f, Record: NodeRecord.TryRead(f))).OrderBy(r => r.Record?.IsHead == true).ToList();
        foreach (var (file, record) in records)
        {
            if (record is null)
            {
                continue;
            }

            using var process = NodeProcesses.TryGetProcess(record);
            var role = record.IsHead ? "head" : "worker";
            if (process is null)
            {
                console.MarkupLine(Markup.Escape($"Removed the pid file of {role} node {record.Address} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}): it was not running."));
            }
            else
            {
                var clean = await NodeProcesses.StopAsync(process, cancellationToken).ConfigureAwait(false);
                stopped++;
                console.MarkupLine(Markup.Escape($"Stopped {role} node {record.Address} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : " with SIGKILL after " + NodeProcesses.StopDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s")}."));
            }

            File.Delete(file);
        }

        if (File.Exists(paths.AddressFile))
        {
            File.Delete(paths.AddressFile);
        }

        // Clusters `orleansray up` started: their heads are stopped now, so `down` has nothing left to do for them.
        var clusters = ClusterRecord.FolderOf(paths);
        if (Directory.Exists(clusters))
        {
            foreach (var file in Directory.EnumerateFiles(clusters, "*.json").ToList())
            {
                using var head = ClusterRecord.TryRead(file) is { } cluster ? NodeProcesses.TryGetProcess(cluster.HeadPid, cluster.HeadStart) : null;
                if (head is null)
                {
                    File.Delete(file);
                }
            }

            if (!Directory.EnumerateFileSystemEntries(clusters).Any())
            {
                Directory.Delete(clusters);
            }
        }

        // The next `start --head` makes a new token (a head restarted without `stop`, after a crash, keeps this one).
        File.Delete(paths.TokenFile);

        if (stopped == 0)
        {
            console.MarkupLine("No OrleansRay node is running on this machine.");
        }

        if (!parse.GetValue(_keepLogs))
        {
            var removed = RemoveSessions(paths);
            if (removed > 0)
            {
                console.MarkupLine(Markup.Escape($"Removed {removed.ToString(CultureInfo.InvariantCulture)} session folder(s) (logs) under {paths.Root}; `orleansray stop --keep-logs` keeps them."));
            }
        }

        // A store killed with its node (SIGKILL, OOM) leaves its arena in /dev/shm, RAM that only the next store to
        // start would free: remove the arenas of stores that are gone (by name, orleansray-store-PID-*.arena, and only
        // when that pid runs no more; another user's cannot be removed and is left).
        var arenas = OrleansRay.ObjectStore.Arena.ArenaMapping.RemoveStaleArenas(OptionValues.ArenaDirectory);
        if (arenas > 0)
        {
            console.MarkupLine(Markup.Escape($"Removed {arenas.ToString(CultureInfo.InvariantCulture)} object store arena(s) of stopped or killed stores from {OptionValues.ArenaDirectory}."));
        }

        if (Directory.Exists(paths.NodesDirectory) && !Directory.EnumerateFileSystemEntries(paths.NodesDirectory).Any())
        {
            Directory.Delete(paths.NodesDirectory);
        }

        return 0;
    }

    /// <summary>Removes every session folder no running node uses (the nodes of a session are stopped or died), and the
    /// session_latest link when nothing is left for it to point at.</summary>
    private static int RemoveSessions(CliPaths paths)
    {
        if (!Directory.Exists(paths.Root))
        {
            return 0;
        }

        var inUse = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in paths.PidFiles())
        {
            // A node started while we stopped the others (or one we could not stop) keeps its session.
            if (NodeRecord.TryRead(file) is { } record)
            {
                using var process = NodeProcesses.TryGetProcess(record);
                if (process is not null)
                {
                    inUse.Add(Path.GetFullPath(record.Session));
                }
            }
        }

        var removed = 0;
        foreach (var session in Directory.EnumerateDirectories(paths.Root, "session_*"))
        {
            var info = new DirectoryInfo(session);
            if (info.LinkTarget is not null || inUse.Contains(Path.GetFullPath(session)))
            {
                continue;
            }

            try
            {
                Directory.Delete(session, recursive: true);
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file held open elsewhere: the folder stays; the next stop tries again.
            }
        }

        var latest = new FileInfo(paths.LatestSession);
        if (latest.LinkTarget is not null && !Directory.Exists(paths.LatestSession))
        {
            latest.Delete();
        }

        return removed;
    }
}
