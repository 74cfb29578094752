namespace OrleansRay.Train;

/// <summary>Runs a training loop without a configuration on a group of workers (Ray Train's
/// <c>DataParallelTrainer</c>); see <see cref="DataParallelTrainer{TConfig}"/> for one that passes a configuration.</summary>
/// <remarks>The same as <see cref="DataParallelTrainer{TConfig}"/> in every other respect.</remarks>
public sealed class DataParallelTrainer
{
    private readonly Func<TrainContext, Task> _trainLoop;
    private readonly TrainerSettings _settings;

    /// <summary>Creates a trainer; nothing runs until <see cref="FitAsync(IRay, CancellationToken)"/>.</summary>
    /// <inheritdoc cref="DataParallelTrainer{TConfig}(Func{TrainContext, TConfig, Task}, TConfig, ScalingConfig, RunConfig?, IReadOnlyDictionary{string, TrainDataset}?)"/>
    public DataParallelTrainer(
        Func<TrainContext, Task> trainLoop,
        ScalingConfig scalingConfig,
        RunConfig? runConfig = null,
        IReadOnlyDictionary<string, TrainDataset>? datasets = null)
    {
        ArgumentNullException.ThrowIfNull(trainLoop);
        _trainLoop = trainLoop;
        _settings = TrainerSettings.Create(trainLoop, scalingConfig, runConfig, datasets);
    }

    /// <inheritdoc cref="DataParallelTrainer{TConfig}.ScalingConfig"/>
    public ScalingConfig ScalingConfig => _settings.Scaling;

    /// <inheritdoc cref="DataParallelTrainer{TConfig}.RunConfig"/>
    public RunConfig RunConfig => _settings.Run;

    /// <inheritdoc cref="DataParallelTrainer{TConfig}.FitAsync(IRay, CancellationToken)"/>
    public Task<TrainResult> FitAsync(IRay ray, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var loop = _trainLoop;
        return _settings.FitAsync(ray, worker => worker.Task(loop).Remote(), cancellationToken);
    }

    /// <inheritdoc cref="DataParallelTrainer{TConfig}.FitAsync(CancellationToken)"/>
    public Task<TrainResult> FitAsync(CancellationToken cancellationToken = default) => FitAsync(Ray.Current, cancellationToken);
}
