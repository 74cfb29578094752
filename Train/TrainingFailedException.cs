namespace OrleansRay.Train;

/// <summary>A training run failed: a worker's loop threw or its worker died, and no restart was left (Ray Train's
/// <c>TrainingFailedError</c>).</summary>
/// <remarks>The message names the rank, the node and the cause. <see cref="Exception.InnerException"/> is the cause as
/// the driver saw it: a <see cref="RayTaskException"/> (the loop threw: its <c>RemoteStackTrace</c> is the worker's trace)
/// or an <see cref="ActorDiedException"/> (the worker died, e.g. with its node).</remarks>
[GenerateSerializer, Alias("orleansray.train.TrainingFailedException")]
public sealed class TrainingFailedException : RayException
{
    /// <summary>Creates the exception.</summary>
    public TrainingFailedException(string message, int rank, int attempts, Exception? innerException)
        : base(message, innerException)
    {
        Rank = rank;
        Attempts = attempts;
    }

    /// <summary>The world rank whose failure ended the run, or -1 when the run failed before its workers ran (e.g. a
    /// worker could not start, or the run's coordinator died).</summary>
    [Id(0)] public int Rank { get; private set; }

    /// <summary>How many attempts the run made, the failed one included.</summary>
    [Id(1)] public int Attempts { get; private set; }

    [NonSerialized]
    private TrainResult? _result;

    /// <summary>What the run reported and persisted before it failed (its <see cref="TrainResult.Error"/> is this
    /// exception); null when the exception was read back from another process.</summary>
    public TrainResult? Result { get => _result; internal set => _result = value; }

    /// <summary>The worker's stack trace when its loop threw (from the <see cref="RayTaskException"/>), else null.</summary>
    public string? RemoteStackTrace => (InnerException as RayTaskException)?.RemoteStackTrace;
}
