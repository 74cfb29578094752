using Microsoft.Extensions.Logging;

namespace OrleansRay.Code;

/// <summary>The jobs' working dirs unpacked on one node (Ray's <c>runtime_resources/working_dir_files</c>): a folder per
/// working dir's contents (<see cref="CodeManifest.WorkingDirId"/>) under the node's own folder, written the first time a
/// loaded package needs it, shared by every loaded package with the same files, and removed when the last of them is
/// unloaded (<see cref="Release"/>) or the node stops (<see cref="RemoveAll"/>).</summary>
/// <remarks>A folder is written aside (<c>ID.GUID.tmp</c>) and moved into place once complete, so a folder under its
/// id is always whole; it is moved aside again before it is deleted, so a package loading meanwhile writes a new one.
/// Counting and the moves happen under one lock; writing and deleting outside it.</remarks>
internal sealed partial class JobWorkingDirs
{
    /// <summary>Files fetched and written at once while a working dir is unpacked (each fetch is a call to the head
    /// when the disk cache does not have the file: a folder of many small files would otherwise wait a round trip each).</summary>
    private const int ParallelFiles = 8;

    /// <summary>What Unix permission bits of a file are kept: rwx for user, group and others (no setuid, setgid or
    /// sticky bit from a job's files).</summary>
    private const UnixFileMode Permissions = (UnixFileMode)0x1FF;

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _folders = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    /// <summary>The working dirs of a node, in <paramref name="root"/> (created when first needed).</summary>
    public JobWorkingDirs(string root, ILogger logger)
    {
        Root = Path.GetFullPath(root);
        _logger = logger;
    }

    /// <summary>The folder the working dirs are unpacked in.</summary>
    public string Root { get; }

    /// <summary>Working dirs unpacked (or being unpacked) now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _folders.Count;
            }
        }
    }

    /// <summary>The folder of <paramref name="manifest"/>'s working dir, unpacked the first time a package needs it; a
    /// caller that gets one calls <see cref="Release"/> once when its package goes. Null when the package has none.</summary>
    /// <param name="manifest">The package's manifest.</param>
    /// <param name="package">The package id, for messages.</param>
    /// <param name="node">The node's name, for messages.</param>
    /// <param name="fetch">The checked bytes of a file (its SHA-256, and what it is, for messages).</param>
    /// <exception cref="CodeLoadException">An entry would land outside the folder, a file could not be fetched, or the
    /// folder could not be written; nothing of it is left on disk.</exception>
    public async Task<string?> AcquireAsync(CodeManifest manifest, string package, string node, Func<string, string, Task<byte[]>> fetch)
    {
        if (manifest.WorkingDirId() is not { } id)
        {
            return null;
        }

        Entry entry;
        lock (_gate)
        {
            if (!_folders.TryGetValue(id, out entry!))
            {
                // 128 bits of the id name the folder: unique enough, and paths inside it stay short.
                entry = new Entry(Path.Combine(Root, id[..32]));
                var folder = entry.Folder;
                // Off the lock (and off whatever scheduler the caller is on): unpacking fetches and writes files.
                entry.Ready = Task.Run(() => UnpackAsync(folder, manifest.WorkingDir!, package, node, fetch));
                _folders[id] = entry;
            }

            entry.Users++;
        }

        try
        {
            await entry.Ready.ConfigureAwait(false);
            return entry.Folder;
        }
        catch
        {
            Release(manifest);
            throw;
        }
    }

    /// <summary>A package that got its folder from <see cref="AcquireAsync"/> is gone: the last one's going removes the folder.</summary>
    public void Release(CodeManifest manifest)
    {
        if (manifest.WorkingDirId() is not { } id)
        {
            return;
        }

        string? aside = null;
        lock (_gate)
        {
            if (!_folders.TryGetValue(id, out var entry) || --entry.Users > 0)
            {
                return;
            }

            _folders.Remove(id);
            if (entry.Ready.IsCompletedSuccessfully)
            {
                aside = MoveAside(entry.Folder);
            }
        }

        if (aside is not null)
        {
            Delete(aside);
            LogRemoved(_logger, CodePackage.Short(id));
        }
    }

    /// <summary>Removes every working dir of the node (it stops: no job code runs any more).</summary>
    public void RemoveAll()
    {
        lock (_gate)
        {
            _folders.Clear();
        }

        Delete(Root);
    }

    private static async Task UnpackAsync(string folder, IReadOnlyList<WorkingDirFile> files, string package, string node, Func<string, string, Task<byte[]>> fetch)
    {
        // Every entry is checked before anything is fetched or written.
        var aside = folder + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var targets = new List<(WorkingDirFile File, string Target)>(files.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var target = WorkingDirFolder.Target(aside, file.Path);
            if (target is null || !seen.Add(target))
            {
                throw new CodeLoadException(
                    $"Node {node} refused the working dir of job code {CodePackage.Short(package)}: its entry '{file.Path}' " +
                    (target is null ? "would land outside the job's folder (an absolute path, or '..' out of it)" : "comes twice") +
                    "; nothing of it was written. RayOptions.RuntimeEnv.WorkingDir names only the files inside its folder.");
            }

            targets.Add((file, target));
        }

        try
        {
            CreateFolder(aside);
            await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = ParallelFiles }, async (item, _) =>
            {
                var bytes = await fetch(item.File.Sha256, $"working-dir file '{item.File.Path}'").ConfigureAwait(false);
                CreateFolder(Path.GetDirectoryName(item.Target)!);
                await File.WriteAllBytesAsync(item.Target, bytes, CancellationToken.None).ConfigureAwait(false);
                if (item.File.Mode != 0 && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(item.Target, (UnixFileMode)item.File.Mode & Permissions);
                }
            }).ConfigureAwait(false);
            Directory.Move(aside, folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Delete(aside);
            throw new CodeLoadException($"Node {node} could not write the working dir of job code {CodePackage.Short(package)} to {folder}: {ex.Message}", ex);
        }
        catch
        {
            Delete(aside);
            throw;
        }
    }

    /// <summary>Moves a folder out of its id's place (to <c>FOLDER.GUID.del</c>), so deleting it cannot race a new one; null
    /// when it is not there.</summary>
    private string? MoveAside(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return null;
        }

        var aside = folder + "." + Guid.NewGuid().ToString("N") + ".del";
        try
        {
            Directory.Move(folder, aside);
            return aside;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRemoveFailed(_logger, folder, ex.Message);
            return null;
        }
    }

    private static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void Delete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file a job made read-only in a folder it locked, or one held open on Windows: the node's session folder
            // goes with `orleansray stop` all the same.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed working dir {WorkingDir}: no loaded job code uses it")]
    private static partial void LogRemoved(ILogger logger, string workingDir);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove working dir {Folder}: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string folder, string reason);

    /// <summary>One working dir: its folder, its unpacking, and how many loaded packages use it.</summary>
    private sealed class Entry(string folder)
    {
        public string Folder { get; } = folder;

        public Task Ready { get; set; } = Task.CompletedTask;

        public int Users { get; set; }
    }
}
