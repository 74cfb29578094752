namespace OrleansRay.Train;

/// <summary>What a training run ended with (Ray Train's <c>Result</c>).</summary>
public sealed class TrainResult
{
    internal TrainResult(
        IReadOnlyDictionary<string, double> metrics,
        IReadOnlyList<IReadOnlyDictionary<string, double>> metricsHistory,
        Checkpoint? checkpoint,
        IReadOnlyList<(Checkpoint Checkpoint, IReadOnlyDictionary<string, double> Metrics)> bestCheckpoints,
        TrainingFailedException? error,
        string path,
        int attempts)
    {
        Metrics = metrics;
        MetricsHistory = metricsHistory;
        Checkpoint = checkpoint;
        BestCheckpoints = bestCheckpoints;
        Error = error;
        Path = path;
        Attempts = attempts;
    }

    /// <summary>The last metrics rank 0 reported (empty if none), with "training_iteration" (the report's number, from 1)
    /// added as in Ray.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Every report of rank 0 in order, across restarts (Ray's <c>metrics_dataframe</c>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> MetricsHistory { get; }

    /// <summary>The latest persisted checkpoint, or null if no report carried one.</summary>
    public Checkpoint? Checkpoint { get; }

    /// <summary>The checkpoints still kept (the newest <see cref="CheckpointConfig.NumToKeep"/>), oldest first, each with
    /// the metrics reported with it.</summary>
    public IReadOnlyList<(Checkpoint Checkpoint, IReadOnlyDictionary<string, double> Metrics)> BestCheckpoints { get; }

    /// <summary>Why the run failed (the rank and its cause), or null when it finished. <c>FitAsync</c> throws that
    /// exception; this property is set on the result it carries (<see cref="TrainingFailedException.Result"/>: what the
    /// run reported and persisted before it failed).</summary>
    public TrainingFailedException? Error { get; }

    /// <summary>The run's folder: <c>StoragePath/Name</c>, where its checkpoints are.</summary>
    public string Path { get; }

    /// <summary>How many attempts the run took (1 when no restart was needed): a count, one more than the number of the
    /// last attempt (<see cref="TrainContext.Attempt"/>, from 0).</summary>
    public int Attempts { get; }
}
