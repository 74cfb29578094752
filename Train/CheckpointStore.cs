using System.Globalization;

namespace OrleansRay.Train;

/// <summary>Checkpoint folders under a run's folder: <c>checkpoint_NNNNNN</c>, NNNNNN the report's iteration.</summary>
/// <remarks>Workers persist their own checkpoints (Ray Train's workers upload to <c>storage_path</c> themselves), so the
/// run's folder must be reachable from every node; the coordinator deletes the ones past <c>NumToKeep</c>.</remarks>
internal static class CheckpointStore
{
    private const string Prefix = "checkpoint_";

    /// <summary>The folder of the checkpoint of report <paramref name="iteration"/>.</summary>
    public static string PathOf(string runPath, int iteration) =>
        Path.Combine(runPath, Prefix + iteration.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Copies <paramref name="source"/>'s files into the run's folder for report <paramref name="iteration"/>
    /// and returns the copy's folder.</summary>
    /// <remarks>Each file is written to a temporary name and moved into place, so two ranks giving a file of the same
    /// name (each its own copy of shared state) never leave a half-written file; the last one wins, as in Ray.</remarks>
    public static string Persist(string source, string runPath, int iteration)
    {
        var target = PathOf(runPath, iteration);
        CopyDirectory(source, target);
        return target;
    }

    /// <summary>Copies every file under <paramref name="source"/> into <paramref name="target"/>, keeping the layout.</summary>
    public static void CopyDirectory(string source, string target)
    {
        var from = Path.GetFullPath(source);
        var to = Path.GetFullPath(target);
        if (string.Equals(from.TrimEnd(Path.DirectorySeparatorChar), to.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
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
}
