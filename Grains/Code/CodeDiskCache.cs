namespace OrleansRay.Code;

/// <summary>A node's disk cache of job code files (<c>&lt;sha256&gt;.dll</c>: assemblies, working-dir files, and the
/// manifests naming them), bounded like Ray's runtime-env agent bounds its unused packages: the packages the node uses are never removed,
/// the unused ones stay up to <see cref="MaxUnusedBytes"/> (a job run again soon loads without fetching), and beyond it
/// the least recently used unused package goes first.</summary>
/// <remarks>A package's recency is its manifest file's write time: set when the package is loaded, while it stays
/// loaded (<see cref="Touch"/> at each look), and when it is unloaded, to its last use. Files of a previous run of the
/// node, or of another node sharing the folder, are known from the manifests on disk; an assembly that no manifest names
/// is a package of its own. Another node's packages in use count as just used (that node keeps touching them), so they
/// go last; should one go all the same, that node still has its code in memory and fetches the file again when it
/// loads it next.</remarks>
internal sealed class CodeDiskCache
{
    /// <summary>Largest file read as a possible manifest when the cache is trimmed (manifests are JSON of a few KiB).</summary>
    private const long MaxManifestBytes = 1 << 20;

    /// <summary>A <c>.tmp</c> file older than this is left over from a write that never finished (a node killed).</summary>
    private static readonly TimeSpan StaleTemporary = TimeSpan.FromHours(1);

    /// <summary>A cache in <paramref name="directory"/> keeping up to <paramref name="maxUnusedBytes"/> of unused code.</summary>
    public CodeDiskCache(string directory, long maxUnusedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxUnusedBytes);
        Directory = directory;
        MaxUnusedBytes = maxUnusedBytes;
    }

    /// <summary>The folder of the files.</summary>
    public string Directory { get; }

    /// <summary>Bytes of files no package in use needs that the cache keeps at most.</summary>
    public long MaxUnusedBytes { get; }

    /// <summary>The path of file <paramref name="hash"/>.</summary>
    public string PathOf(string hash) => Path.Combine(Directory, hash + ".dll");

    /// <summary>The cached bytes of file <paramref name="hash"/>, or null when the cache has no good copy (missing, removed
    /// meanwhile, or not hashing to its name).</summary>
    public async Task<byte[]?> ReadAsync(string hash)
    {
        try
        {
            var bytes = await File.ReadAllBytesAsync(PathOf(hash)).ConfigureAwait(false);
            return CodeManifest.Hash(bytes) == hash ? bytes : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // not there (or trimmed by a node sharing the folder between the look and the read): fetch it
        }
    }

    /// <summary>Stores file <paramref name="hash"/> (written aside, then moved in: a reader never sees half a file).</summary>
    public async Task WriteAsync(string hash, byte[] bytes)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = PathOf(hash);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Marks package <paramref name="packageId"/> as used at <paramref name="whenUtc"/> (its manifest's write time).</summary>
    public void Touch(string packageId, DateTime whenUtc)
    {
        try
        {
            File.SetLastWriteTimeUtc(PathOf(packageId), whenUtc);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not on disk (removed by a node sharing the folder): the package is in memory, nothing to keep fresh.
        }
    }

    /// <summary>Removes the least recently used packages no one here uses until the files no package in use needs take
    /// at most <see cref="MaxUnusedBytes"/>. A file of a package in use stays, and so does a file another kept package
    /// names.</summary>
    /// <param name="inUse">The packages in use on this node: their ids, with their files' hashes when known (a
    /// package still loading has only its id; its assemblies are then read from its manifest on disk).</param>
    /// <returns>The ids of the packages (or lone assemblies) removed.</returns>
    public IReadOnlyList<string> Trim(IReadOnlyDictionary<string, IEnumerable<string>?> inUse)
    {
        var files = Scan();
        if (files.Count == 0)
        {
            return [];
        }

        // The packages on disk: each manifest with the files it names that are here.
        var packages = new Dictionary<string, (List<string> Files, DateTime UsedUtc)>(StringComparer.Ordinal);
        foreach (var (hash, (size, written)) in files)
        {
            if (size <= MaxManifestBytes && ManifestFiles(hash) is { } assemblies)
            {
                packages[hash] = ([hash, .. assemblies.Where(files.ContainsKey)], written);
            }
        }

        var pinned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, known) in inUse)
        {
            pinned.Add(id);
            pinned.UnionWith(known ?? (packages.TryGetValue(id, out var onDisk) ? onDisk.Files : []));
        }

        // What may go: the packages not in use, and lone files no manifest names, least recently used first.
        var named = packages.Values.SelectMany(p => p.Files).ToHashSet(StringComparer.Ordinal);
        var units = packages.Where(p => !pinned.Contains(p.Key))
            .Select(p => (Id: p.Key, p.Value.Files, p.Value.UsedUtc))
            .Concat(files.Where(f => !named.Contains(f.Key) && !pinned.Contains(f.Key)).Select(f => (Id: f.Key, Files: new List<string> { f.Key }, UsedUtc: f.Value.Written)))
            .OrderBy(u => u.UsedUtc)
            .ThenBy(u => u.Id, StringComparer.Ordinal)
            .ToList();
        var kept = new Dictionary<string, int>(StringComparer.Ordinal); // file → how many units still name it
        foreach (var file in units.SelectMany(u => u.Files).Where(f => !pinned.Contains(f)))
        {
            kept[file] = kept.GetValueOrDefault(file) + 1;
        }

        var unused = kept.Keys.Sum(f => files[f].Size);
        var removed = new List<string>();
        foreach (var unit in units)
        {
            if (unused <= MaxUnusedBytes)
            {
                break;
            }

            foreach (var file in unit.Files.Where(f => !pinned.Contains(f)).Distinct(StringComparer.Ordinal))
            {
                if (--kept[file] == 0)
                {
                    kept.Remove(file);
                    unused -= files[file].Size;
                    Delete(PathOf(file));
                }
            }

            removed.Add(unit.Id);
        }

        return removed;
    }

    /// <summary>The code files in the folder by hash: size and write time. Removes writes left unfinished long ago.</summary>
    private Dictionary<string, (long Size, DateTime Written)> Scan()
    {
        var files = new Dictionary<string, (long Size, DateTime Written)>(StringComparer.Ordinal);
        DirectoryInfo folder = new(Directory);
        if (!folder.Exists)
        {
            return files;
        }

        var staleBefore = DateTime.UtcNow - StaleTemporary;
        foreach (var file in folder.EnumerateFiles())
        {
            try
            {
                if (file.Name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    if (file.LastWriteTimeUtc < staleBefore)
                    {
                        Delete(file.FullName);
                    }
                }
                else if (file.Name.EndsWith(".dll", StringComparison.Ordinal) && Path.GetFileNameWithoutExtension(file.Name) is var hash && CodeManifest.IsHash(hash))
                {
                    files[hash] = (file.Length, file.LastWriteTimeUtc);
                }
            }
            catch (IOException)
            {
                // Removed meanwhile (a node sharing the folder).
            }
        }

        return files;
    }

    /// <summary>The hashes of the files (assemblies, working-dir files) named by file <paramref name="hash"/> when it is a
    /// manifest; else null.</summary>
    private IEnumerable<string>? ManifestFiles(string hash)
    {
        try
        {
            using (var file = File.OpenRead(PathOf(hash)))
            {
                if (file.ReadByte() != '{')
                {
                    return null; // an assembly (a PE file starts "MZ"): no need to read all of it on every trim
                }
            }

            var bytes = File.ReadAllBytes(PathOf(hash));
            if (CodeManifest.Hash(bytes) != hash)
            {
                return null; // an assembly (or a damaged file, which goes as a lone file)
            }

            return CodeManifest.Parse(bytes).FileHashes();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In use by another process (Windows) or gone already: the next trim tries again.
        }
    }
}
