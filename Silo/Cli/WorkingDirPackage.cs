using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.FileSystemGlobbing;
using OrleansRay.Code;
using OrleansRay.Grains;

namespace OrleansRay.Silo.Cli;

/// <summary>A job's working dir as a zip (Ray's working_dir package): made by <c>job submit --working-dir</c> on the
/// submitting machine, checked and unpacked by the head. Content-addressed by the zip's SHA-256, so the same folder
/// submitted again is not uploaded again.</summary>
/// <remarks>The zip is deterministic for a folder whose files did not change: entries in ordinal path order, each
/// with the file's modification time and Unix mode (so scripts stay executable).</remarks>
internal static class WorkingDirPackage
{
    /// <summary>The default size limit, 100 MiB: of the folder's files (after excludes) on the submitting side, of the
    /// upload and of the unpacked files on the head.</summary>
    public const long DefaultMaxBytes = 100L << 20;

    /// <summary>The largest file a working dir may hold: the control store's, <see cref="ICodeBlobGrain.MaxBytes"/>
    /// (64 MiB). The job's driver ships each file of its working dir to the nodes in one message and refuses a larger one
    /// at connect, so the packer refuses it before uploading and the head before unpacking.</summary>
    public const long MaxFileBytes = ICodeBlobGrain.MaxBytes;

    /// <summary>Always excluded, besides the <c>--exclude</c> patterns: build output and git history are large and not
    /// what a job runs from (the folders a driver's <c>RuntimeEnv.WorkingDir</c> leaves out too).</summary>
    public static readonly IReadOnlyList<string> DefaultExcludes = [.. WorkingDirFolder.ExcludedFolders.Select(name => name + "/")];

    /// <summary>S_IFREG, the file-type bits of a regular file in a Unix mode.</summary>
    private const int RegularFile = 0x8000;

    /// <summary>A zip made by <see cref="Create"/>: a temporary file the caller deletes.</summary>
    /// <param name="ZipFile">The zip's path (a temporary file).</param>
    /// <param name="Sha256">Lowercase hex SHA-256 of the zip: its name on the head.</param>
    /// <param name="FileCount">Files packed.</param>
    /// <param name="FolderBytes">Their total size in bytes (uncompressed).</param>
    internal sealed record Package(string ZipFile, string Sha256, int FileCount, long FolderBytes);

    /// <summary>Packs <paramref name="folder"/>'s files except those matching <paramref name="excludes"/> (plus
    /// <see cref="DefaultExcludes"/>) into a temporary zip. Symbolic links are not followed nor packed.</summary>
    /// <param name="folder">The working dir.</param>
    /// <param name="excludes">Patterns relative to the folder: <c>NAME/</c> is a folder of that name at any depth,
    /// a pattern without '/' (<c>*.log</c>) a file name at any depth, any other a glob from the folder's root
    /// (<c>data/**/*.csv</c>; <c>**</c> is any number of folders).</param>
    /// <param name="maxBytes">The most the packed files may hold, in bytes.</param>
    /// <exception cref="CliException">No such folder (exit code 2); one file is over <see cref="MaxFileBytes"/> (exit
    /// code 2, naming it, its size and the limit); its files exceed <paramref name="maxBytes"/> (exit
    /// code 2; the walk stops at the limit, and the message gives the size counted and the limit); a file cannot be read
    /// or a folder listed (exit code 1, the message names it). Files without a size (empty files, and named pipes, sockets and devices) are
    /// packed empty without being opened.</exception>
    public static Package Create(string folder, IEnumerable<string> excludes, long maxBytes)
    {
        var root = new DirectoryInfo(Path.GetFullPath(folder));
        if (!root.Exists)
        {
            throw CliException.Usage($"--working-dir {folder}: no such folder.");
        }

        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude("**/*");
        foreach (var pattern in DefaultExcludes.Concat(excludes))
        {
            matcher.AddExclude(Glob(pattern));
        }

        var files = new List<(string Relative, FileInfo File)>();
        long total = 0;
        // A folder whose every file is excluded ("bin/") is not walked at all; symbolic links are skipped.
        var listed = WorkingDirFolder.Files(root, relative => matcher.Match(relative + "/x").HasMatches, relative => matcher.Match(relative).HasMatches, CannotList);
        foreach (var (relative, file) in listed)
        {
            // Before the total: the file is named, and raising --max-upload would not help it.
            if (file.Length > MaxFileBytes)
            {
                throw CliException.Usage($"working dir {folder}: {relative} is {Size(file.Length)}, over the cluster's limit of {Size(MaxFileBytes)} per file (the job's driver ships each file to the nodes in one message); leave it out with --exclude '{relative}' and have the job read it from storage every node reaches, or put it in the object store.");
            }

            files.Add((relative, file));
            total += file.Length;
            if (total > maxBytes)
            {
                // Stop at the limit: a working dir left at a large folder (the home folder, /usr) would otherwise
                // be walked to its end before the answer is no.
                throw CliException.Usage($"working dir {folder}: its files add up to {Size(total)} or more ({files.Count.ToString(CultureInfo.InvariantCulture)} files counted after excludes), over the limit of {Size(maxBytes)}; exclude what the job does not need with --exclude PATTERN (bin/, obj/ and .git/ are excluded already), choose a smaller folder with --working-dir, or raise --max-upload.");
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        var zipPath = Path.Combine(Path.GetTempPath(), $"orleansray-workdir-{Guid.NewGuid():N}.zip");
        try
        {
            using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
            {
                foreach (var (relative, file) in files)
                {
                    var entry = zip.CreateEntry(relative, CompressionLevel.Optimal);
                    entry.LastWriteTime = file.LastWriteTime;
                    // Unix mode in the high 16 bits, as zip tools write it: a regular file (S_IFREG) and its permissions.
                    entry.ExternalAttributes = ((int)file.UnixFileMode | RegularFile) << 16;
                    using var target = entry.Open();
                    // An empty entry needs no read. A named pipe, socket or device in the folder is one too (none has a
                    // size): opening a pipe would wait for a writer, and a socket cannot be opened at all.
                    if (file.Length > 0)
                    {
                        using var source = OpenToPack(folder, relative, file);
                        source.CopyTo(target);
                    }
                }
            }

            using var stream = File.OpenRead(zipPath);
            return new Package(zipPath, Convert.ToHexStringLower(SHA256.HashData(stream)), files.Count, total);
        }
        catch
        {
            File.Delete(zipPath);
            throw;
        }
    }

    /// <summary>The one-line failure for a folder of the working dir the user cannot list, naming it.</summary>
    private static CliException CannotList(DirectoryInfo dir, string prefix, Exception cause)
    {
        var way = prefix.Length == 0 ? "choose a folder you can read with --working-dir" : $"leave it out with --exclude '{prefix}', or choose another folder with --working-dir";
        return new CliException($"working dir: cannot read folder {dir.FullName} ({cause.Message.TrimEnd('.', ' ')}); {way}.");
    }

    /// <summary>Opens a file of the working dir for packing, or fails in one line naming it.</summary>
    /// <exception cref="CliException">The file cannot be read (permissions, or it vanished since the walk).</exception>
    private static FileStream OpenToPack(string folder, string relative, FileInfo file)
    {
        try
        {
            return file.OpenRead();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"working dir {folder}: cannot read {relative} ({ex.Message.TrimEnd('.', ' ')}); leave it out with --exclude '{relative}', or choose another folder with --working-dir.");
        }
    }

    /// <summary>Checks a zip received by the head: readable, every entry inside the folder it will be unpacked to
    /// (no "zip slip": no absolute path, no '..' out of it), at most <paramref name="maxBytes"/> unpacked, and no file the
    /// job's driver would ship (one outside <c>bin/</c>, <c>obj/</c>, <c>.git/</c>) over <see cref="MaxFileBytes"/>.</summary>
    /// <returns>The entries' total unpacked size.</returns>
    /// <exception cref="InvalidDataException">What is wrong, in one line.</exception>
    public static long Validate(string zipPath, long maxBytes)
    {
        var probe = Path.Combine(Path.GetTempPath(), "orleansray-zip-check");
        using var zip = Open(zipPath);
        long total = 0;
        foreach (var entry in zip.Entries)
        {
            _ = Target(probe, entry);
            if (entry.Length > MaxFileBytes && !InExcludedFolder(entry.FullName))
            {
                throw new InvalidDataException($"the working dir's file {entry.FullName} unpacks to {Size(entry.Length)}, over the cluster's limit of {Size(MaxFileBytes)} per file (the job's driver ships each file to the nodes in one message); leave it out (job submit --exclude) and have the job read it from storage every node reaches.");
            }

            total += entry.Length;
            if (total > maxBytes)
            {
                throw new InvalidDataException($"the working dir unpacks to more than the head's limit of {Size(maxBytes)}; exclude what the job does not need.");
            }
        }

        return total;
    }

    /// <summary>Unpacks a zip that passed <see cref="Validate"/> into <paramref name="destination"/> (created),
    /// keeping each file's Unix mode.</summary>
    /// <exception cref="InvalidDataException">An entry would land outside <paramref name="destination"/>.</exception>
    public static void Extract(string zipPath, string destination)
    {
        Directory.CreateDirectory(destination);
        using var zip = Open(zipPath);
        foreach (var entry in zip.Entries)
        {
            var target = Target(destination, entry);
            if (entry.FullName.EndsWith('/'))
            {
                Directory.CreateDirectory(target);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target, overwrite: true);
        }
    }

    /// <summary>"12.3 MiB (12897484 bytes)", "1.5 KiB (1536 bytes)", "185 bytes".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        < 1048576 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB ({bytes} bytes)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB ({bytes} bytes)"),
    };

    /// <summary>True for a zip entry under a folder the job's driver does not ship (<see cref="WorkingDirFolder.ExcludedFolders"/>
    /// at any depth).</summary>
    private static bool InExcludedFolder(string entryName)
    {
        var folders = entryName.Replace('\\', '/').Split('/');
        return folders[..^1].Any(WorkingDirFolder.IsExcludedFolder);
    }

    private static ZipArchive Open(string zipPath)
    {
        try
        {
            return ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"the working dir package is not a valid zip ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    private static string Target(string destination, ZipArchiveEntry entry) =>
        WorkingDirFolder.Target(destination, entry.FullName)
        ?? throw new InvalidDataException($"the working dir package has an entry '{entry.FullName}' outside its folder (absolute, or '..' out of it); pack the folder's own files only.");

    /// <summary>The glob of an <c>--exclude</c> pattern (see <see cref="Create"/>).</summary>
    private static string Glob(string pattern)
    {
        var p = pattern.Trim().Replace('\\', '/');
        if (p.StartsWith("./", StringComparison.Ordinal))
        {
            p = p[2..];
        }

        if (p.EndsWith('/'))
        {
            var name = p.TrimEnd('/');
            return name.Contains('/', StringComparison.Ordinal) ? name + "/**" : "**/" + name + "/**";
        }

        return p.Contains('/', StringComparison.Ordinal) ? p.TrimStart('/') : "**/" + p;
    }
}
