using System.Reflection;
using System.Runtime.CompilerServices;

namespace OrleansRay.Train;

/// <summary>A trainer's checked settings, shared by <see cref="DataParallelTrainer"/> and <see cref="DataParallelTrainer{TConfig}"/>.</summary>
internal sealed class TrainerSettings
{
    private TrainerSettings(ScalingConfig scaling, RunConfig run, IReadOnlyDictionary<string, TrainDataset> datasets)
    {
        Scaling = scaling;
        Run = run;
        Datasets = datasets;
    }

    public ScalingConfig Scaling { get; }

    public RunConfig Run { get; }

    public IReadOnlyDictionary<string, TrainDataset> Datasets { get; }

    /// <exception cref="ArgumentException">See <see cref="DataParallelTrainer{TConfig}"/>'s constructor.</exception>
    public static TrainerSettings Create(Delegate trainLoop, ScalingConfig scalingConfig, RunConfig? runConfig, IReadOnlyDictionary<string, TrainDataset>? datasets)
    {
        ArgumentNullException.ThrowIfNull(scalingConfig);
        CheckLoop(trainLoop);
        scalingConfig.Validate();
        runConfig ??= new RunConfig();
        runConfig.Validate();
        var copy = new Dictionary<string, TrainDataset>(StringComparer.Ordinal);
        foreach (var (name, dataset) in datasets ?? new Dictionary<string, TrainDataset>())
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("A dataset name is empty; name each dataset (e.g. \"train\").", nameof(datasets));
            }

            copy[name] = dataset ?? throw new ArgumentException($"Dataset '{name}' is null.", nameof(datasets));
        }

        return new TrainerSettings(scalingConfig, runConfig, copy);
    }

    public Task<TrainResult> FitAsync(IRay ray, Func<ActorHandle<TrainContext>, ObjectRef<Unit>> startLoop, CancellationToken cancellationToken) =>
        new TrainRun(ray, startLoop, Scaling, Run, Datasets).RunAsync(cancellationToken);

    /// <summary>Refuses a loop the workers cannot run: one bound to an object, capturing variables, or multicast (the
    /// same rule as every remote function, checked here so the trainer's constructor says it, not the first worker).</summary>
    private static void CheckLoop(Delegate trainLoop)
    {
        if (!trainLoop.HasSingleTarget)
        {
            throw new ArgumentException("The train loop is a multicast delegate; pass one static method or lambda.", nameof(trainLoop));
        }

        var target = trainLoop.Target;
        if (target is null)
        {
            return;
        }

        var type = target.GetType();
        var closure = type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);
        if (!closure)
        {
            throw new ArgumentException(
                $"The train loop '{trainLoop.Method.Name}' is an instance method of {type.FullName}; the workers cannot carry that object. " +
                "Make it static and pass what it needs in the train loop config.", nameof(trainLoop));
        }

        // A closure's fields are the variables it captures (and the compiler's own cached delegates, named "<>9__N").
        var captured = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(f => f.Name)
            .Select(n => n.StartsWith("<>4__this", StringComparison.Ordinal) ? "this" : n)
            .Where(n => !n.StartsWith("<>", StringComparison.Ordinal))
            .ToList();
        if (captured.Count > 0)
        {
            throw new ArgumentException(
                $"The train loop '{trainLoop.Method.Name}' captures variables ({string.Join(", ", captured)}); " +
                "the workers run it elsewhere, where those variables do not exist. Pass them in the train loop config instead.", nameof(trainLoop));
        }
    }
}
