using System.CommandLine;
using System.Globalization;
using OrleansRay.Silo.Autoscaling.Providers;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray down CONFIG</c> (Ray's <c>ray down</c>): stops the cluster <c>orleansray up CONFIG</c> started on
/// this machine: tells the head's autoscaler to launch nothing more, stops the cluster's jobs as <c>orleansray stop</c>
/// does (their files go with the logs unless <c>--keep-logs</c>), every worker its local provider launched (SIGTERM,
/// SIGKILL after a deadline), then the head, and checks that no process of the cluster (node, job or job supervisor) is left. Safe to run
/// twice: a cluster that is not up is said so.</summary>
internal sealed class DownCommand : Command
{
    private readonly Argument<string> _config = new("CONFIG") { Description = "The cluster config file `orleansray up` was given (its cluster_name names the cluster)." };
    private readonly Option<bool> _keepLogs = new("--keep-logs") { Description = "Keep the cluster's session folder (the head's, the workers' and the jobs' logs) and its job files instead of removing them." };

    public DownCommand()
        : base("down", "Stop the cluster `orleansray up CONFIG` started on this machine: its jobs (as `orleansray stop` does), its workers, then its head; checks that no process of it is left. Removes their files, the job files and logs with them unless --keep-logs.")
    {
        Arguments.Add(_config);
        Options.Add(_keepLogs);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var config = UpCommand.LoadConfig(parse.GetValue(_config)!);
        var console = ConsoleOutput.Create();
        var recordFile = ClusterRecord.FileOf(paths, config.ClusterName);
        if (ClusterRecord.TryRead(recordFile) is not { } record)
        {
            console.MarkupLine(Markup.Escape($"Cluster '{config.ClusterName}' is not up on this machine (no {recordFile}); nothing to stop."));
            return 0;
        }

        // First the autoscaler: it launches nothing more (and removes nothing) from its next round on.
        if (Directory.Exists(record.Session))
        {
            Directory.CreateDirectory(LocalNodeProvider.FolderOf(record.Session));
            File.WriteAllText(LocalNodeProvider.StopMarkerOf(record.Session), "orleansray down\n");
        }

        // Then its jobs (submitted here with its address, or over HTTP to its head), as `stop` stops them: their drivers
        // leave while the cluster is still there, and no supervisor outlives it to tell a head that is gone.
        var seen = new HashSet<(int Pid, DateTime Start)>();
        var keepLogs = parse.GetValue(_keepLogs);
        var jobs = await JobRunner.StopJobsAsync(paths, j => IsJobOf(record, j), keepLogs, console, seen, cancellationToken).ConfigureAwait(false);
        var workers = await StopWorkersAsync(record, paths, console, seen, cancellationToken).ConfigureAwait(false);
        using (var head = NodeProcesses.TryGetProcess(record.HeadPid, record.HeadStart))
        {
            if (head is null)
            {
                console.MarkupLine(Markup.Escape($"The head {record.Address} (pid {record.HeadPid.ToString(CultureInfo.InvariantCulture)}) was not running."));
            }
            else
            {
                var clean = await NodeProcesses.StopAsync(head, cancellationToken).ConfigureAwait(false);
                console.MarkupLine(Markup.Escape($"Stopped head node {record.Address} (pid {record.HeadPid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : " with SIGKILL after " + NodeProcesses.StopDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s")}."));
            }
        }

        // A worker launched while the others stopped (the marker came between a plan and its launch), a job the head
        // started over HTTP meanwhile (its file is written before its supervisor starts): stopped too.
        workers += await StopWorkersAsync(record, paths, console, seen, cancellationToken).ConfigureAwait(false);
        jobs += await JobRunner.StopJobsAsync(paths, j => IsJobOf(record, j), keepLogs, console, seen, cancellationToken).ConfigureAwait(false);
        seen.Add((record.HeadPid, record.HeadStart));
        var left = seen.Where(p => IsRunning(p.Pid, p.Start)).Select(p => p.Pid).Order().ToList();
        if (left.Count > 0)
        {
            throw new CliException($"processes of cluster '{config.ClusterName}' are still running: pid {string.Join(", ", left)}; stop them with `kill -9 PID`.");
        }

        File.Delete(recordFile);
        RemoveFiles(record, paths, keepLogs);
        console.MarkupLine(Markup.Escape($"Cluster '{config.ClusterName}' is down: {jobs.ToString(CultureInfo.InvariantCulture)} job(s), {workers.ToString(CultureInfo.InvariantCulture)} worker(s) and the head stopped; no process of it is left."));
        return 0;
    }

    /// <summary>True for a job of the cluster: its driver was given the head's address (a job submitted on this machine
    /// to it, or over HTTP to its head), or its log is in the head's session (submitted to the head by another name).</summary>
    private static bool IsJobOf(ClusterRecord cluster, JobRecord job) =>
        CliPaths.SameAddress(job.Address, cluster.Address)
        || Path.GetFullPath(job.LogFile).StartsWith(Path.GetFullPath(cluster.Session) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>Stops the cluster's workers still running: those in the local provider's records (launching or up) and
    /// those whose pid file points into the cluster's session. Returns how many it stopped.</summary>
    private static async Task<int> StopWorkersAsync(ClusterRecord record, CliPaths paths, IAnsiConsole console, HashSet<(int Pid, DateTime Start)> seen, CancellationToken cancellationToken)
    {
        var session = Path.GetFullPath(record.Session);
        var candidates = LocalWorkerRecord.ReadAll(LocalNodeProvider.FolderOf(record.Session))
            .Select(r => (r.Record.Pid, Start: r.Record.ProcessStart, r.Record.Address, Type: (string?)r.Record.NodeType))
            .Concat(paths.PidFiles().Select(NodeRecord.TryRead)
                .Where(r => r is { IsHead: false } && string.Equals(Path.GetFullPath(r.Session), session, StringComparison.Ordinal))
                .Select(r => (r!.Pid, Start: r.ProcessStart, r.Address, Type: (string?)null)))
            .GroupBy(c => c.Pid)
            .Select(g => g.OrderBy(c => c.Type is null).First())
            .ToList();
        var stops = candidates.Select(async c =>
        {
            seen.Add((c.Pid, c.Start));
            using var process = NodeProcesses.TryGetProcess(c.Pid, c.Start);
            if (process is null)
            {
                return 0;
            }

            var clean = await NodeProcesses.StopAsync(process, cancellationToken).ConfigureAwait(false);
            console.MarkupLine(Markup.Escape($"Stopped worker node {c.Address}{(c.Type is null ? string.Empty : $" of type '{c.Type}'")} (pid {c.Pid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : " with SIGKILL")}."));
            return 1;
        }).ToList();
        return (await Task.WhenAll(stops).ConfigureAwait(false)).Sum();
    }

    private static bool IsRunning(int pid, DateTime start)
    {
        using var process = NodeProcesses.TryGetProcess(pid, start);
        return process is not null;
    }

    /// <summary>The nodes of other clusters on this machine that still run (a live process behind their pid file), newest
    /// first.</summary>
    private static List<NodeRecord> LiveNodesOutside(CliPaths paths, string session) =>
        paths.PidFiles().Select(NodeRecord.TryRead).OfType<NodeRecord>()
            .Where(n => !string.Equals(Path.GetFullPath(n.Session), session, StringComparison.Ordinal) && IsRunning(n.Pid, n.ProcessStart))
            .OrderByDescending(n => n.ProcessStart)
            .ToList();

    /// <summary>The token a head kept in its session folder (null: it runs --insecure, or the copy cannot be read).</summary>
    private static string? ReadTokenCopy(NodeRecord head)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(head.Session, "auth_token")).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes what the cluster left: its nodes' pid files, the address and token files when they are its
    /// head's and no other cluster on this machine still runs (else they go to the newest other head), the provider's records, and the session folder (logs) unless <paramref name="keepLogs"/>.</summary>
    private static void RemoveFiles(ClusterRecord record, CliPaths paths, bool keepLogs)
    {
        var session = Path.GetFullPath(record.Session);
        foreach (var file in paths.PidFiles().ToList())
        {
            if (NodeRecord.TryRead(file) is { } node && string.Equals(Path.GetFullPath(node.Session), session, StringComparison.Ordinal))
            {
                File.Delete(file);
            }
        }

        // Other clusters started on this machine (`start --head`, another `up`) share the address and token files: the
        // newest head still running takes them over, as if it had started last; `stop`'s rule for the token file (gone
        // once no node runs here) holds too, since a node still running may be reached through it.
        var others = LiveNodesOutside(paths, session);
        if (paths.ReadAddress() == record.Address)
        {
            if (others.FirstOrDefault(n => n.IsHead) is { } head)
            {
                CliPaths.WriteAtomically(paths.AddressFile, head.Address + "\n");
                if (ReadTokenCopy(head) is { } token)
                {
                    CliPaths.WriteSecret(paths.TokenFile, token + "\n");
                }
            }
            else
            {
                File.Delete(paths.AddressFile);
                if (others.Count == 0)
                {
                    File.Delete(paths.TokenFile);
                }
            }
        }

        if (Directory.Exists(paths.NodesDirectory) && !Directory.EnumerateFileSystemEntries(paths.NodesDirectory).Any())
        {
            Directory.Delete(paths.NodesDirectory);
        }

        var folder = LocalNodeProvider.FolderOf(record.Session);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        if (!keepLogs && Directory.Exists(record.Session))
        {
            try
            {
                Directory.Delete(record.Session, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file held open elsewhere: `orleansray stop` removes the folder later.
            }

            var latest = new FileInfo(paths.LatestSession);
            if (latest.LinkTarget is not null && !Directory.Exists(paths.LatestSession))
            {
                latest.Delete();
                // It pointed at this cluster's session: the newest session a running node still uses is the latest now.
                if (others.FirstOrDefault(n => Directory.Exists(n.Session)) is { } newest)
                {
                    try
                    {
                        File.CreateSymbolicLink(paths.LatestSession, Path.GetRelativePath(paths.Root, Path.GetFullPath(newest.Session)));
                    }
                    catch (IOException)
                    {
                        // The link is a convenience for people; the nodes use their session folders directly.
                    }
                }
            }
        }

        var clusters = ClusterRecord.FolderOf(paths);
        if (Directory.Exists(clusters) && !Directory.EnumerateFileSystemEntries(clusters).Any())
        {
            Directory.Delete(clusters);
        }
    }
}
