namespace OrleansRay.Code;

/// <summary>The rules a job's working dir follows wherever it is packed or unpacked: <c>orleansray job submit</c>'s
/// zip, and the files a driver's <c>RuntimeEnv.WorkingDir</c> ships with its code package. Which files go (build output
/// and git history never, symbolic links never), and where an entry may land (inside its folder, nowhere else).</summary>
internal static class WorkingDirFolder
{
    /// <summary>Folders left out at any depth: build output and git history are large and not what a job runs from
    /// (<c>dotnet run</c> in a submitted working dir makes <c>bin/</c> and <c>obj/</c> there).</summary>
    public static readonly IReadOnlyList<string> ExcludedFolders = ["bin", "obj", ".git"];

    /// <summary>True for a folder name of <see cref="ExcludedFolders"/>.</summary>
    public static bool IsExcludedFolder(string name) => ExcludedFolders.Contains(name, StringComparer.Ordinal);

    /// <summary>The files under <paramref name="root"/>, as paths relative to it ('/'-separated) with their
    /// <see cref="FileInfo"/>, in no particular order: folders <paramref name="includeFolder"/> refuses are not walked, files
    /// <paramref name="includeFile"/> refuses are skipped, and symbolic links (to files or folders) are neither followed
    /// nor listed.</summary>
    /// <param name="root">The working dir.</param>
    /// <param name="includeFolder">Takes a folder's relative path (no trailing '/').</param>
    /// <param name="includeFile">Takes a file's relative path.</param>
    /// <param name="cannotList">The exception to throw for a folder that cannot be listed (the folder, its relative
    /// path with a trailing '/' or empty for the root, and the cause).</param>
    public static IEnumerable<(string Relative, FileInfo File)> Files(DirectoryInfo root, Func<string, bool> includeFolder, Func<string, bool> includeFile, Func<DirectoryInfo, string, Exception, Exception> cannotList)
    {
        var pending = new Stack<(DirectoryInfo Folder, string Prefix)>();
        pending.Push((root, string.Empty));
        while (pending.Count > 0)
        {
            var (folder, prefix) = pending.Pop();
            FileSystemInfo[] entries;
            try
            {
                entries = folder.GetFileSystemInfos();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw cannotList(folder, prefix, ex);
            }

            foreach (var entry in entries)
            {
                if (entry.LinkTarget is not null)
                {
                    continue;
                }

                var relative = prefix + entry.Name;
                if (entry is DirectoryInfo sub)
                {
                    if (includeFolder(relative))
                    {
                        pending.Push((sub, relative + "/"));
                    }
                }
                else if (entry is FileInfo file && includeFile(relative))
                {
                    yield return (relative, file);
                }
            }
        }
    }

    /// <summary>Where entry <paramref name="name"/> of a working dir lands under <paramref name="root"/>, or null when
    /// it would land anywhere else ("zip slip"): an empty or absolute name, a NUL in it, or '..' out of the folder.
    /// Backslashes count as separators.</summary>
    public static string? Target(string root, string name)
    {
        var full = Path.GetFullPath(root);
        var normalized = name.Replace('\\', '/');
        if (normalized.Length == 0 || normalized.StartsWith('/') || normalized.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(normalized))
        {
            return null;
        }

        var target = Path.GetFullPath(Path.Combine(full, normalized));
        return target.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? target : null;
    }
}
