using System.Security.Cryptography;
using OrleansRay.Code;
using OrleansRay.Grains;

namespace OrleansRay.Hosting;

/// <summary>A connected driver's working dir (<see cref="RuntimeEnv.WorkingDir"/>) on its way into the job's code
/// package: listed and hashed at connect, before anything is uploaded (so a folder too large or a file that cannot be
/// read fails first, naming it), then each file uploaded by its SHA-256 unless the cluster has it.</summary>
/// <remarks>Which files go follows <c>orleansray job submit</c>'s packer (<see cref="WorkingDirFolder"/>): not the
/// folders <c>bin/</c>, <c>obj/</c>, <c>.git/</c> at any depth, not symbolic links; a file without a size (an empty
/// file, a named pipe, socket or device) goes empty without being opened.</remarks>
internal static class WorkingDirUpload
{
    /// <summary>Files checked or uploaded at once: each is a call to the head, and a folder of many small files would
    /// otherwise wait a round trip each.</summary>
    private const int ParallelFiles = 8;

    /// <summary>The working dir's files, listed and hashed.</summary>
    /// <param name="Path">The folder, full path.</param>
    /// <param name="Files">Each file as the manifest names it, with its full path here; sorted by path (ordinal).</param>
    public sealed record Folder(string Path, IReadOnlyList<(WorkingDirFile Entry, string FullPath)> Files)
    {
        /// <summary>The files' bytes.</summary>
        public long Bytes => Files.Sum(f => f.Entry.Size);
    }

    /// <summary>Lists and hashes the files of <paramref name="folder"/>.</summary>
    /// <param name="folder">The working dir (full path).</param>
    /// <param name="maxBytes">The most its files may hold (<see cref="RuntimeEnv.MaxWorkingDirBytes"/>).</param>
    /// <exception cref="ArgumentException">The folder does not exist (names it).</exception>
    /// <exception cref="RayException">Its files hold more than <paramref name="maxBytes"/> (the walk stops there; names
    /// the size counted and the limit), one file is over the control store's 64 MiB, or a folder or file cannot be read
    /// (names it).</exception>
    public static Folder Scan(string folder, long maxBytes)
    {
        var root = new DirectoryInfo(folder);
        if (!root.Exists)
        {
            throw new ArgumentException($"RayOptions.RuntimeEnv.WorkingDir: no such folder ({root.FullName}).", nameof(RayOptions.RuntimeEnv));
        }

        var found = new List<(string Relative, FileInfo File)>();
        long total = 0;
        var listed = WorkingDirFolder.Files(
            root,
            relative => !WorkingDirFolder.IsExcludedFolder(relative[(relative.LastIndexOf('/') + 1)..]),
            _ => true,
            (dir, _, cause) => new RayException($"The job's working dir {root.FullName}: cannot read folder {dir.FullName} ({cause.Message.TrimEnd('.', ' ')}); make it readable, or move it out of the working dir.", cause));
        foreach (var (relative, file) in listed)
        {
            found.Add((relative, file));
            total += file.Length;
            if (total > maxBytes)
            {
                // Stop at the limit: a working dir left at a large folder (the home folder) is not walked to its end first.
                throw new RayException(
                    $"The job's working dir {root.FullName} holds {total:N0} bytes or more ({found.Count} files counted; bin/, obj/, .git/ and symbolic links left out); " +
                    $"the limit is {maxBytes:N0} bytes (RayOptions.RuntimeEnv.MaxWorkingDirBytes). Choose a folder with only what the job's tasks read, or raise the limit.");
            }

            if (file.Length > ICodeBlobGrain.MaxBytes)
            {
                throw new RayException(
                    $"File {relative} of the job's working dir {root.FullName} is {file.Length:N0} bytes; the cluster takes files up to {ICodeBlobGrain.MaxBytes:N0} bytes. " +
                    "Put it in the object store (ray.PutAsync) or on storage every node reaches, and leave it out of the working dir.");
            }
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        var files = new List<(WorkingDirFile Entry, string FullPath)>(found.Count);
        foreach (var (relative, file) in found)
        {
            var (hash, size) = Hash(root, relative, file);
            var mode = OperatingSystem.IsWindows() ? 0 : (int)file.UnixFileMode & 0x1FF; // rwx bits for user, group, others
            files.Add((new WorkingDirFile(relative, hash, size, mode), file.FullName));
        }

        return new Folder(root.FullName, files);
    }

    /// <summary>Uploads the files of <paramref name="folder"/> the cluster does not have yet.</summary>
    /// <returns>Files and bytes uploaded.</returns>
    /// <exception cref="RayException">A file changed since <see cref="Scan"/> hashed it.</exception>
    public static async Task<(int Files, long Bytes)> UploadAsync(IGrainFactory grains, Folder folder, CancellationToken cancellationToken)
    {
        var files = 0;
        var bytes = 0L;
        var distinct = folder.Files.DistinctBy(f => f.Entry.Sha256, StringComparer.Ordinal);
        await Parallel.ForEachAsync(distinct, new ParallelOptions { MaxDegreeOfParallelism = ParallelFiles, CancellationToken = cancellationToken }, async (file, token) =>
        {
            var blob = grains.GetGrain<ICodeBlobGrain>(file.Entry.Sha256);
            if (await blob.HasAsync().WaitAsync(token).ConfigureAwait(false))
            {
                return;
            }

            var content = file.Entry.Size == 0 ? [] : await File.ReadAllBytesAsync(file.FullPath, token).ConfigureAwait(false);
            if (CodeManifest.Hash(content) != file.Entry.Sha256)
            {
                throw new RayException($"File {file.Entry.Path} of the job's working dir {folder.Path} changed while the driver was connecting; connect again once it is written.");
            }

            await blob.PutAsync(content).WaitAsync(token).ConfigureAwait(false);
            Interlocked.Increment(ref files);
            Interlocked.Add(ref bytes, content.LongLength);
        }).ConfigureAwait(false);
        return (files, bytes);
    }

    /// <summary>The file's SHA-256 and size as read now; an empty (or sizeless) file is not opened.</summary>
    private static (string Hash, long Size) Hash(DirectoryInfo root, string relative, FileInfo file)
    {
        if (file.Length == 0)
        {
            return (CodeManifest.Hash([]), 0);
        }

        try
        {
            using var stream = file.OpenRead();
            var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            return (hash, stream.Position);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RayException($"The job's working dir {root.FullName}: cannot read {relative} ({ex.Message.TrimEnd('.', ' ')}); make it readable, or move it out of the working dir.", ex);
        }
    }
}
