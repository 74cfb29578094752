namespace OrleansRay.Train;

/// <summary>Runs a training loop on a group of workers, data-parallel (Ray Train's <c>DataParallelTrainer</c>, with
/// <c>train_loop_config</c>): each worker runs <c>trainLoop(context, trainLoopConfig)</c>.</summary>
/// <typeparam name="TConfig">The loop's configuration (learning rate, epochs, ...): any type OrleansRay can serialize;
/// every worker receives a copy.</typeparam>
/// <remarks>
/// <see cref="FitAsync(IRay, CancellationToken)"/> reserves a placement group of <see cref="ScalingConfig.NumWorkers"/>
/// bundles, starts a coordinator actor (0 CPUs) and one worker actor per bundle, ranked by node, and calls the loop on
/// every worker. The loop reports with <see cref="TrainContext.ReportAsync"/>, exchanges gradients with
/// <see cref="TrainContext.AllReduceAsync(float[], Collective.ReduceOp, CancellationToken)"/>, and resumes from
/// <see cref="TrainContext.GetCheckpoint"/>. When an attempt fails (a loop throws, a worker dies with its node), the group
/// is stopped and started again from the latest checkpoint while <see cref="FailureConfig.MaxFailures"/> allows.
/// The loop is a static method (or a lambda that captures nothing), like every OrleansRay remote function: on a cluster
/// it travels with the driver's job code (or is in an assembly the nodes <c>--load</c>).
/// </remarks>
public sealed class DataParallelTrainer<TConfig>
{
    private readonly Func<TrainContext, TConfig, Task> _trainLoop;
    private readonly TConfig _trainLoopConfig;
    private readonly TrainerSettings _settings;

    /// <summary>Creates a trainer; nothing runs until <see cref="FitAsync(IRay, CancellationToken)"/>.</summary>
    /// <param name="trainLoop">The loop each worker runs (Ray's <c>train_loop_per_worker</c>): a static method or a lambda
    /// capturing nothing.</param>
    /// <param name="trainLoopConfig">Its configuration, copied to every worker.</param>
    /// <param name="scalingConfig">How many workers and what each holds.</param>
    /// <param name="runConfig">Name, storage, failures, progress. Default: <c>new RunConfig()</c>.</param>
    /// <param name="datasets">Datasets by name, each split into one shard per worker. Default: none.</param>
    /// <exception cref="ArgumentNullException">The loop or the scaling config is null.</exception>
    /// <exception cref="ArgumentException">The loop captures state or is bound to an object; a config setting is out of
    /// range (the message names it); a dataset name is empty.</exception>
    public DataParallelTrainer(
        Func<TrainContext, TConfig, Task> trainLoop,
        TConfig trainLoopConfig,
        ScalingConfig scalingConfig,
        RunConfig? runConfig = null,
        IReadOnlyDictionary<string, TrainDataset>? datasets = null)
    {
        ArgumentNullException.ThrowIfNull(trainLoop);
        _trainLoop = trainLoop;
        _trainLoopConfig = trainLoopConfig;
        _settings = TrainerSettings.Create(trainLoop, scalingConfig, runConfig, datasets);
    }

    /// <summary>The scaling config (read it, do not change it once fitting).</summary>
    public ScalingConfig ScalingConfig => _settings.Scaling;

    /// <summary>The run config.</summary>
    public RunConfig RunConfig => _settings.Run;

    /// <summary>Runs the training on the cluster of <paramref name="ray"/> and returns its result (Ray's <c>fit()</c>).</summary>
    /// <param name="ray">The driver.</param>
    /// <param name="cancellationToken">Stops the run: its actors are killed and its placement group removed, then
    /// <see cref="OperationCanceledException"/> is thrown. While the group cannot be placed the run waits (and reports
    /// <see cref="TrainProgressKind.PlacementPending"/>); cancel to give up.</param>
    /// <exception cref="TrainingFailedException">A loop threw, a worker died, or the ranks' reports or collectives did not
    /// match, and no restart was left: names the rank and the cause (see its <c>InnerException</c> cases).</exception>
    /// <exception cref="IOException">The run's folder cannot be created under <see cref="RunConfig.StoragePath"/> (a part
    /// of the path is a file, no permission, a read-only file system, an invalid path): thrown before any actor starts;
    /// the message names StoragePath, the folder, why and what to do, and the System.IO error is the inner exception.
    /// Also, before any actor starts, when the folder holds <c>checkpoint_*</c> folders but no <c>reports.jsonl</c>
    /// (see <see cref="RunConfig.Name"/>: a reused name resumes the run logged there); and while the run runs, when its
    /// log can no longer be written there (the storage went away or is full).</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="ray"/> was disposed (or its node shut down) before or
    /// while the run ran ("The OrleansRay node has shut down."): the driver's job ended and the run's actors with it, so
    /// no rank is blamed.</exception>
    public Task<TrainResult> FitAsync(IRay ray, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var loop = _trainLoop;
        var config = _trainLoopConfig;
        return _settings.FitAsync(ray, worker => worker.Task(loop, config).Remote(), cancellationToken);
    }

    /// <summary>Runs the training with <see cref="Ray.Current"/> as the driver.</summary>
    /// <inheritdoc cref="FitAsync(IRay, CancellationToken)"/>
    public Task<TrainResult> FitAsync(CancellationToken cancellationToken = default) => FitAsync(Ray.Current, cancellationToken);
}
