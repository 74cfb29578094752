namespace OrleansRay.Train;

/// <summary>Name, storage, failure handling and progress of a training run (Ray Train's <c>RunConfig</c>).</summary>
public sealed class RunConfig
{
    /// <summary>The run's name: the folder under <see cref="StoragePath"/> that holds its checkpoints.
    /// Default: null, which names it "DataParallelTrainer_" and the start time (UTC, yyyyMMdd_HHmmss) and a short id.</summary>
    /// <remarks>A run re-using a name (under the same <see cref="StoragePath"/>) goes on from the earlier run's reports,
    /// logged in the folder's <c>reports.jsonl</c>, as Ray Train's job driver fault tolerance does: its history and
    /// kept checkpoints are this run's first, <see cref="TrainContext.GetCheckpoint"/> gives the latest, and new
    /// reports are numbered after them (<see cref="TrainProgressKind.Resuming"/> says so). Give each new run a name of
    /// its own (or null) to start afresh. A folder holding checkpoint folders but no log is refused with an
    /// <see cref="IOException"/> rather than emptied. One run of a name at a time: two at once under the same storage
    /// path would log into, and prune, the same folder.</remarks>
    public string? Name { get; set; }

    /// <summary>Where checkpoints are persisted: the folder holding the run's folder. Workers write their checkpoints there
    /// themselves, so on a cluster of several machines it must be a path every node reaches (a shared file system), as
    /// Ray's <c>storage_path</c>. A leading <c>~</c> is the user's home folder; a relative path is taken from the driver's
    /// current folder. Default: null, which is <c>~/orleansray_results</c> (Ray: <c>~/ray_results</c>).</summary>
    public string? StoragePath { get; set; }

    /// <summary>How many restarts a run gets. Default: <c>MaxFailures = 0</c>.</summary>
    public FailureConfig FailureConfig { get; set; } = new();

    /// <summary>Which checkpoints are kept. Default: all of them.</summary>
    public CheckpointConfig CheckpointConfig { get; set; } = new();

    /// <summary>Receives the run's progress as it happens (placement pending and the resources it waits for, workers
    /// started and where, each report of rank 0, restarts, the end), on a thread-pool thread. Default: null.</summary>
    public IProgress<TrainProgress>? Progress { get; set; }

    /// <summary>Whether progress is also printed to the console (one line per event, as Ray prints its reports).
    /// Default: true.</summary>
    public bool Verbose { get; set; } = true;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">MaxFailures is below -1, NumToKeep below 1, or Name holds path characters.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(FailureConfig, "runConfig.FailureConfig");
        ArgumentNullException.ThrowIfNull(CheckpointConfig, "runConfig.CheckpointConfig");
        if (FailureConfig.MaxFailures < -1)
        {
            throw new ArgumentException($"RunConfig.FailureConfig.MaxFailures is {FailureConfig.MaxFailures}; use 0 (no restart), a positive count, or -1 (no limit).", "runConfig");
        }

        if (CheckpointConfig.NumToKeep is < 1)
        {
            throw new ArgumentException($"RunConfig.CheckpointConfig.NumToKeep is {CheckpointConfig.NumToKeep}; keep at least 1 checkpoint, or leave it null to keep all.", "runConfig");
        }

        if (Name is not null && (Name.Length == 0 || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || Name is "." or ".."))
        {
            throw new ArgumentException($"RunConfig.Name '{Name}' is not a valid folder name.", "runConfig");
        }
    }
}
