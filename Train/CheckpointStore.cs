using System.Globalization;

namespace OrleansRay.Train;

/// <summary>Checkpoint folders under a run's folder: <c>checkpoint_NNNNNN</c>, NNNNNN the report's iteration.</summary>
/// <remarks>Workers persist their own checkpoints (Ray Train's workers upload to <c>storage_path</c> themselves), so the
/// run's folder must be reachable from every node. The driver deletes the ones past <c>NumToKeep</c> once it knows their
/// successor's report completed (<see cref="Prune"/>), and, before each attempt, every folder no completed report names
/// (<see cref="DeleteAllBut"/>), so a failed attempt (of this run, or of the earlier run it resumes) leaves nothing to merge
/// into. Which reports completed is in the run's log (<see cref="RunLog"/>).</remarks>
internal static class CheckpointStore
{
    private const string Prefix = "checkpoint_";

    /// <summary>The prefix of a checkpoint being copied (<c>.checkpoint_NNNNNN.xxxxxxxx</c>), moved into place when whole.</summary>
    private const string TemporaryPrefix = "." + Prefix;

    /// <summary>Creates the run's folder, <paramref name="name"/> under <paramref name="storagePath"/> (null: the default
    /// <c>~/orleansray_results</c>), and returns its full path.</summary>
    /// <exception cref="IOException">The folder cannot be made (a part of the path is a file, no permission, a read-only
    /// or virtual file system, an invalid path): one exception whose message names <c>RunConfig.StoragePath</c>, the
    /// folder, why and what to do; the System.IO error is its inner exception.</exception>
    public static string CreateRunFolder(string? storagePath, string name)
    {
        var storage = storagePath;
        string? runPath = null;
        try
        {
            storage = Path.GetFullPath(ExpandHome(storagePath) ?? Path.Combine(Home, "orleansray_results"));
            runPath = Path.Combine(storage, name);
            Directory.CreateDirectory(runPath);
            return runPath;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var setting = storagePath is null ? $"RunConfig.StoragePath (null: the default, '{storage}')" : $"RunConfig.StoragePath '{storagePath}'";
            var what = runPath is null ? "it is not a valid path" : $"the run's folder '{runPath}' could not be created";
            throw new IOException(
                $"{setting} cannot hold the run's checkpoints: {what} ({Why(runPath, ex)}). Set StoragePath to a folder this " +
                "process can create and write (on a cluster of several machines, one every node reaches), or leave it null for ~/orleansray_results.",
                ex);
        }
    }

    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary><paramref name="path"/> with a leading <c>~</c> (alone, or before a separator) as the user's home folder,
    /// as a shell and Ray's <c>storage_path</c> read it; a <c>~name</c> or a later <c>~</c> is left as it is.</summary>
    internal static string? ExpandHome(string? path) =>
        path is "~" ? Home
        : path is not null && path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home, path[2..])
        : path;

    /// <summary>Why <paramref name="path"/> could not be created: the ancestor that is a file, else the System.IO error.</summary>
    private static string Why(string? path, Exception error)
    {
        for (var folder = path; !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(folder))
            {
                return $"'{folder}' is a file, not a folder";
            }

            if (Directory.Exists(folder))
            {
                break;
            }
        }

        return error is UnauthorizedAccessException ? $"permission denied: {error.Message}" : error.Message;
    }

    /// <summary>The folder of the checkpoint of report <paramref name="iteration"/>.</summary>
    public static string PathOf(string runPath, int iteration) =>
        Path.Combine(runPath, Prefix + iteration.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Copies <paramref name="source"/>'s files into the run's folder for report <paramref name="iteration"/>
    /// and returns the copy's folder.</summary>
    /// <remarks>The files are copied into a temporary folder first, which is then moved into place whole, so a reader
    /// never sees a half-copied checkpoint. When the folder already exists it was persisted by another rank of the same
    /// report (the driver deletes stale folders before an attempt starts): the files are then moved into it one by one,
    /// each replacing a file of the same name (several ranks' files together form the checkpoint; the last one wins, as
    /// in Ray).</remarks>
    public static string Persist(string source, string runPath, int iteration)
    {
        var target = PathOf(runPath, iteration);
        if (SameFolder(source, target))
        {
            return target;
        }

        var temporary = Path.Combine(runPath, TemporaryPrefix + iteration.ToString("D6", CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            CopyDirectory(source, temporary);
            try
            {
                Directory.Move(temporary, target);
                return target;
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another rank's files are there already: add this rank's.
            }

            CopyDirectory(temporary, target);
            return target;
        }
        finally
        {
            Delete(temporary);
        }
    }

    /// <summary>Deletes the folders of <paramref name="dropped"/> (checkpoints past <c>NumToKeep</c>); one that cannot be
    /// deleted yet (a file in it open) stays.</summary>
    public static void Prune(IEnumerable<string> dropped)
    {
        foreach (var path in dropped)
        {
            try
            {
                Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file in it is still open (a reader on another node): a later clean-up removes it; the run goes on.
            }
        }
    }

    /// <summary>Deletes every checkpoint folder (and leftover temporary folder) under <paramref name="runPath"/> that is
    /// not in <paramref name="kept"/>: those of reports that never completed (a failed attempt, of this run or of the earlier
    /// one it resumes) or past <c>NumToKeep</c>. A folder that cannot be deleted yet (a file in it open) stays.</summary>
    public static void DeleteAllBut(string runPath, IEnumerable<string> kept)
    {
        if (!Directory.Exists(runPath))
        {
            return;
        }

        var keep = kept.Select(k => Path.GetFullPath(k).TrimEnd(Path.DirectorySeparatorChar)).ToHashSet(StringComparer.Ordinal);
        foreach (var folder in Directory.EnumerateDirectories(runPath).ToList())
        {
            var name = Path.GetFileName(folder);
            if ((name.StartsWith(Prefix, StringComparison.Ordinal) || name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
                && !keep.Contains(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)))
            {
                Prune([folder]);
            }
        }
    }

    /// <summary>Copies every file under <paramref name="source"/> into <paramref name="target"/>, keeping the layout.</summary>
    public static void CopyDirectory(string source, string target)
    {
        var from = Path.GetFullPath(source);
        var to = Path.GetFullPath(target);
        if (SameFolder(from, to))
        {
            return;
        }

        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(to, Path.GetRelativePath(from, file));
            var temporary = destination + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
            File.Copy(file, temporary);
            File.Move(temporary, destination, overwrite: true);
        }
    }

    /// <summary>Deletes a persisted checkpoint's folder; a folder already gone is no error.</summary>
    public static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static bool SameFolder(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
