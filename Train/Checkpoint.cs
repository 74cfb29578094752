namespace OrleansRay.Train;

/// <summary>A checkpoint: a directory of files a training loop wrote (Ray Train's <c>Checkpoint</c>).</summary>
/// <remarks>A loop writes its state into a folder of its own and reports <c>Checkpoint.FromDirectory(folder)</c>; the
/// trainer copies the folder into the run's storage (<c>StoragePath/Name/checkpoint_NNNNNN</c>) and the reported
/// checkpoint is that copy. After a restart, <see cref="TrainContext.GetCheckpoint"/> returns the latest persisted one.</remarks>
public sealed class Checkpoint : IEquatable<Checkpoint>
{
    private Checkpoint(string path) => Path = path;

    /// <summary>The checkpoint's folder (absolute).</summary>
    public string Path { get; }

    /// <summary>A checkpoint of the files in <paramref name="path"/> (Ray's <c>Checkpoint.from_directory</c>).</summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static Checkpoint FromDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Checkpoint folder '{full}' does not exist; write the checkpoint's files first.");
        }

        return new Checkpoint(full);
    }

    /// <summary>Copies the checkpoint's files into <paramref name="path"/> (created if needed) and returns it (Ray's
    /// <c>to_directory</c>).</summary>
    public string ToDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckpointStore.CopyDirectory(Path, path);
        return System.IO.Path.GetFullPath(path);
    }

    /// <inheritdoc />
    public bool Equals(Checkpoint? other) => other is not null && string.Equals(other.Path, Path, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Checkpoint other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path);

    /// <inheritdoc />
    public override string ToString() => $"Checkpoint({Path})";

    /// <summary>A checkpoint of a folder the trainer persisted (not checked to exist: it may have been pruned since).</summary>
    internal static Checkpoint Persisted(string path) => new(path);
}
