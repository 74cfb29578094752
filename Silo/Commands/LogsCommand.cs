using System.CommandLine;
using System.Globalization;
using System.Text;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray logs [FILE] [--tail N] [--follow]</c> (Ray's <c>ray logs</c>, for this machine): without FILE,
/// lists the log files of the nodes started on this machine, running or killed (their session folders' <c>logs/</c>),
/// else of the newest sessions; with FILE (a name from that list, or a path), prints its last lines and, with <c>--follow</c>, what is
/// appended until Ctrl+C, across the log's rotation.</summary>
internal sealed class LogsCommand : Command
{
    /// <summary>Lines printed by default (Ray's <c>ray logs --tail</c> default).</summary>
    internal const int DefaultTail = 1000;

    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(250);

    private readonly Argument<string?> _file = new("FILE") { Arity = ArgumentArity.ZeroOrOne, Description = "A log file's name as the list shows it (node-30000.log, job-driver-ID.log, ...) or a path. Without it, the log files are listed." };
    private readonly Option<int> _tail = new("--tail") { Description = $"Print only the last N lines (0: none, e.g. with --follow). Default: {DefaultTail}.", DefaultValueFactory = _ => DefaultTail };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing lines as they are appended, across the log's rotation, until Ctrl+C." };

    public LogsCommand()
        : base("logs", "List the log files of the nodes on this machine, or print one (its last lines; --follow for new ones).")
    {
        Arguments.Add(_file);
        Options.Add(_tail);
        Options.Add(_follow);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var tail = parse.GetValue(_tail);
        if (tail < 0)
        {
            throw CliException.Usage($"--tail {tail.ToString(CultureInfo.InvariantCulture)}: give a number of lines, 0 or more.");
        }

        var folders = LogFolders(paths);
        if (parse.GetValue(_file) is not { } file)
        {
            Console.Out.Write(Listing(folders, paths));
            return 0;
        }

        var path = Resolve(file, folders);
        await using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        foreach (var line in LastLines(log, tail))
        {
            await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
        }

        if (parse.GetValue(_follow))
        {
            await FollowAsync(path, log.Length, Console.Out, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>How many of the newest sessions are listed when no node of this machine has a pid file left.</summary>
    internal const int SessionsListed = 5;

    /// <summary>How many earlier sessions are listed after those of the nodes with a pid file: a node started on the port
    /// of a killed one replaces its pid file, and the killed node's log is the one to read.</summary>
    internal const int EarlierSessionsListed = 2;

    /// <summary>The log folders to look in, each with what it belongs to: the sessions of the nodes started on this machine
    /// that still have a pid file, running ones first (head first), then those that died (killed or crashed: their log
    /// is the one to read, as Ray's <c>ray logs</c> covers dead nodes), then the newest <see cref="EarlierSessionsListed"/>
    /// other sessions (a killed head's, once a new head took its port); with no pid file, the newest
    /// <see cref="SessionsListed"/> sessions (after <c>stop --keep-logs</c>, the head's and its workers').</summary>
    internal static IReadOnlyList<(string Folder, string Owner)> LogFolders(CliPaths paths)
    {
        var folders = paths.PidFiles().Select(NodeRecord.TryRead).OfType<NodeRecord>()
            .Select(r => (Record: r, Running: NodeProcesses.IsRunning(r)))
            .OrderByDescending(n => n.Running).ThenByDescending(n => n.Record.IsHead).ThenBy(n => n.Record.Address, StringComparer.Ordinal)
            .Select(n => (Folder: Path.Combine(n.Record.Session, "logs"),
                Owner: $"{(n.Record.IsHead ? "head" : "worker")} node {n.Record.Address}{(n.Running ? string.Empty : ", not running: killed or crashed")}"))
            .Where(f => Directory.Exists(f.Folder))
            .DistinctBy(f => f.Folder)
            .ToList();
        var withNodes = folders.Count > 0;
        var newest = paths.CurrentSession();
        var sessions = Directory.Exists(paths.Root)
            ? new DirectoryInfo(paths.Root).EnumerateDirectories("session_*")
                .Where(d => d.LinkTarget is null && Directory.Exists(Path.Combine(d.FullName, "logs")))
                .OrderByDescending(d => d.Name, StringComparer.Ordinal) // session_<time>_<pid>: newest first
                .Select(d => (Folder: Path.Combine(d.FullName, "logs"), Session: d.FullName))
                .Where(d => !folders.Any(f => PathsEqual(f.Folder, d.Folder)))
                .Take(withNodes ? EarlierSessionsListed : SessionsListed)
            : [];
        folders.AddRange(sessions.Select(d => (d.Folder,
            withNodes ? "an earlier session; none of its nodes has a pid file left (stopped, or a newer node took its port)"
            : d.Session == newest ? "the newest session; no node runs on this machine" : "an earlier session; no node runs on this machine")));
        return folders;
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);

    /// <summary>The list <c>orleansray logs</c> prints: per folder, its files by name with size and last write.</summary>
    internal static string Listing(IReadOnlyList<(string Folder, string Owner)> folders, CliPaths paths)
    {
        if (folders.Count == 0)
        {
            return $"No logs on this machine: no node was started here under {paths.Root} ({CliPaths.TempDirVariable} moves it).{Environment.NewLine}";
        }

        var text = new StringBuilder();
        foreach (var (folder, owner) in folders)
        {
            text.Append(CultureInfo.InvariantCulture, $"{folder} ({owner}):").AppendLine();
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"  {file.Name,-40} {Size(file.Length),10}  {file.LastWriteTime:yyyy-MM-dd HH:mm:ss}").AppendLine();
            }
        }

        text.AppendLine("Print one with `orleansray logs NAME` (--tail N, --follow).");
        return text.ToString();
    }

    /// <summary>The file <paramref name="file"/> names: a path as it is, else the first file of that name in
    /// <paramref name="folders"/>, in their order (running nodes, then killed ones, then the newest sessions first):
    /// every head on the default port writes a <c>node-30000.log</c> in its session, and the newest is the one meant.</summary>
    /// <exception cref="CliException">No such file.</exception>
    internal static string Resolve(string file, IReadOnlyList<(string Folder, string Owner)> folders)
    {
        if (file.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(file) ? Path.GetFullPath(file) : throw CliException.Usage($"{file}: no such file.");
        }

        var found = folders.Select(f => Path.Combine(f.Folder, file)).Where(File.Exists).ToList();
        return found.Count switch
        {
            0 => throw CliException.Usage(folders.Count == 0
                ? $"no log named {file}: no node was started on this machine."
                : $"no log named {file} in {string.Join(", ", folders.Select(f => f.Folder))}; `orleansray logs` lists them."),
            _ => found[0], // an older session's file of the same name is read by its path
        };
    }

    /// <summary>The last <paramref name="count"/> lines of <paramref name="log"/>, read once from its start (memory:
    /// those lines only); leaves the stream at its end.</summary>
    internal static IReadOnlyList<string> LastLines(Stream log, int count)
    {
        var kept = new Queue<string>();
        using var reader = new StreamReader(log, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 64 << 10, leaveOpen: true);
        while (reader.ReadLine() is { } line)
        {
            kept.Enqueue(line);
            if (kept.Count > count)
            {
                kept.Dequeue();
            }
        }

        return kept.ToArray();
    }

    /// <summary>Writes what is appended to <paramref name="path"/> after <paramref name="from"/> bytes until cancelled;
    /// a file that became shorter was rotated (the node started a new one): it is read from its start.</summary>
    internal static async Task FollowAsync(string path, long from, TextWriter output, CancellationToken cancellationToken)
    {
        var position = from;
        var pending = new StringBuilder();
        var buffer = new byte[64 << 10];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (log.Length < position)
                {
                    position = 0;
                }

                log.Position = position;
                int read;
                while ((read = await log.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    position += read;
                    pending.Append(chars, 0, decoder.GetChars(buffer, 0, read, chars, 0));
                }

                var text = pending.ToString();
                var end = text.LastIndexOf('\n');
                if (end >= 0)
                {
                    await output.WriteAsync(text[..(end + 1)]).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    pending.Remove(0, end + 1);
                }
            }
            catch (FileNotFoundException)
            {
                // Between a rotation's move and the new file: the next round finds it.
                position = 0;
            }

            try
            {
                await Task.Delay(FollowInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes.ToString(CultureInfo.InvariantCulture)} B",
        < 1 << 20 => $"{(bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture)} KiB",
        _ => $"{(bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} MiB",
    };
}
