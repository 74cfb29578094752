namespace OrleansRay.Train;

/// <summary>A training run failed: a worker's loop threw or its worker died, and no restart was left (Ray Train's
/// <c>TrainingFailedError</c>).</summary>
/// <remarks>The message names the rank, the node and the cause. <see cref="Exception.InnerException"/> is the cause as
/// the driver saw it:
/// <list type="bullet">
/// <item>a <see cref="RayTaskException"/>: the loop threw (its <c>RemoteStackTrace</c> is the worker's trace); also, with
/// <see cref="Rank"/> -1, when every loop lost the run's coordinator (its <c>OriginalExceptionType</c> then names
/// <c>CoordinatorLostException</c>);</item>
/// <item>an <see cref="ActorDiedException"/>: the worker died (e.g. with its node);</item>
/// <item>an <see cref="InvalidOperationException"/>: a rank's loop returned while its peers waited in a
/// <c>ReportAsync</c> or a collective it never called (every rank must call <c>ReportAsync</c> the same number of times
/// and the same collectives); <see cref="Rank"/> is the rank that returned, the message says where the others waited,
/// and for a collective its own <c>InnerException</c> is the waiting rank's failure;</item>
/// <item>the error of the call that failed when a worker could not start (<see cref="Rank"/> -1) or be set up, or the
/// coordinator could not give the last reports (<see cref="Rank"/> -1): a <see cref="RayException"/> such as
/// <see cref="ActorDiedException"/> or <see cref="GetTimeoutException"/>, or, as a node leaves mid-call, a
/// <see cref="TimeoutException"/> or Orleans' <c>SiloUnavailableException</c>.</item>
/// </list>
/// The driver's own shutdown is not a training failure: <c>FitAsync</c> then throws <see cref="ObjectDisposedException"/>.</remarks>
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

    /// <summary>How many attempts the run made, the failed one included: a count, so 1 when the first attempt (attempt 0,
    /// <see cref="TrainContext.Attempt"/>) failed and <see cref="FailureConfig.MaxFailures"/> allowed no restart.</summary>
    [Id(1)] public int Attempts { get; private set; }

    [NonSerialized]
    private TrainResult? _result;

    /// <summary>What the run reported and persisted before it failed (its <see cref="TrainResult.Error"/> is this
    /// exception); null when the exception was read back from another process.</summary>
    public TrainResult? Result { get => _result; internal set => _result = value; }

    /// <summary>The worker's stack trace when its loop threw (from the <see cref="RayTaskException"/>), else null.</summary>
    public string? RemoteStackTrace => (InnerException as RayTaskException)?.RemoteStackTrace;
}
