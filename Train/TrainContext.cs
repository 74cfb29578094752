using System.Numerics.Tensors;
using OrleansRay.Train.Collective;
using OrleansRay.Train.Wire;

namespace OrleansRay.Train;

/// <summary>One training worker, as its train loop sees it (Ray Train's <c>ray.train.get_context()</c> and the
/// <c>ray.train</c> functions a loop calls): its rank, <see cref="ReportAsync"/>, <see cref="GetCheckpoint"/>,
/// <see cref="GetDatasetShard{T}"/> and the collectives.</summary>
/// <remarks>
/// The context is the worker actor itself: the trainer starts one per rank in the run's placement group and calls the
/// train loop on it as an actor method (<c>worker.Task(trainLoop, config)</c>), so the loop, a static method of the
/// user's code, travels and resolves exactly as every OrleansRay function does (with the job's code on a cluster).
/// The loop runs in the actor's default group (one call at a time); peers' collective messages arrive in its
/// "collective" concurrency group meanwhile. Use it only from the loop it was given to.
/// </remarks>
public sealed class TrainContext
{
    /// <summary>The concurrency group peers' collective messages arrive in.</summary>
    internal const string CollectiveGroup = "collective";

    private WorkerSetup? _setup;
    private Communicator? _communicator;
    private string? _checkpoint;
    private int _reports;

    internal TrainContext()
    {
    }

    /// <summary>This worker's rank in the group, 0 to <see cref="WorldSize"/> - 1 (Ray's <c>get_world_rank</c>). Ranks
    /// are given node by node, so the workers of one node have consecutive ranks.</summary>
    public int WorldRank => Setup.WorldRank;

    /// <summary>The number of workers (Ray's <c>get_world_size</c>).</summary>
    public int WorldSize => Setup.WorldSize;

    /// <summary>This worker's rank among the workers of its node, from 0 (Ray's <c>get_local_rank</c>).</summary>
    public int LocalRank => Setup.LocalRank;

    /// <summary>The number of workers on this worker's node (Ray's <c>get_local_world_size</c>).</summary>
    public int LocalWorldSize => Setup.LocalWorldSize;

    /// <summary>The index of this worker's node among the nodes of the group, from 0 (Ray's <c>get_node_rank</c>).</summary>
    public int NodeRank => Setup.NodeRank;

    /// <summary>The run's name (Ray's <c>get_experiment_name</c>).</summary>
    public string ExperimentName => Setup.RunName;

    /// <summary>The attempt this loop runs in, numbered from 0: 0 for the first, one more after each restart from a
    /// checkpoint (as Ray numbers a task's attempts, <c>attempt_number</c>). <see cref="TrainProgress.Attempt"/> and the
    /// messages (<c>[train] Attempt 0 failed: ...; restarting the worker group as attempt 1 ...</c>) use the same
    /// numbers; <see cref="TrainResult.Attempts"/> and <see cref="TrainingFailedException.Attempts"/> are counts (the
    /// last attempt's number + 1).</summary>
    public int Attempt => Setup.Attempt;

    /// <summary>Fires when the attempt ends under the loop (the run was cancelled, or another worker failed and the
    /// group is being stopped). The context's own waits observe it; pass it to long work of your own.</summary>
    public CancellationToken CancellationToken => RayContext.CancellationToken;

    private WorkerSetup Setup => _setup ?? throw new InvalidOperationException("This TrainContext is not set up: use the context a DataParallelTrainer gives its train loop.");

    private Communicator Collectives => _communicator ?? throw new InvalidOperationException("This TrainContext is not set up: use the context a DataParallelTrainer gives its train loop.");

    /// <summary>Reports metrics, and optionally a checkpoint, for this iteration (Ray's <c>ray.train.report</c>).</summary>
    /// <remarks>A barrier: it returns once every worker has made the same report, so every worker must call it the same
    /// number of times. Rank 0's metrics become the run's (<see cref="TrainResult.MetricsHistory"/>, printed as progress);
    /// a checkpoint is copied into the run's storage (<c>StoragePath/Name/checkpoint_NNNNNN</c>) by the worker giving it
    /// (usually rank 0 only; files of the same name from several ranks: the last one wins), and becomes what
    /// <see cref="GetCheckpoint"/> returns from then on, here and after a restart.</remarks>
    /// <param name="metrics">Metric values by name (e.g. "loss", "epoch").</param>
    /// <param name="checkpoint">A folder of this iteration's state, or null.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    public async Task ReportAsync(IReadOnlyDictionary<string, double> metrics, Checkpoint? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var setup = Setup;
        var iteration = setup.FirstIteration + ++_reports;
        var persisted = checkpoint is null ? null : CheckpointStore.Persist(checkpoint.Path, setup.RunPath, iteration);
        var report = new WorkerReport(setup.WorldRank, iteration, new Dictionary<string, double>(metrics, StringComparer.Ordinal), persisted);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, CancellationToken);
        ReportRecord record;
        try
        {
            record = await Ray.Current.GetAsync(setup.Coordinator.Task((c, r) => c.Report(r), report).Remote(), linked.Token).ConfigureAwait(false);
        }
        catch (ActorDiedException ex)
        {
            // The run's coordinator died (with its node), not this worker: a failure the driver attributes to no rank.
            throw new CoordinatorLostException($"The run's coordinator died during report {iteration}: {ex.Message}");
        }

        if (record.Checkpoint is not null)
        {
            _checkpoint = record.Checkpoint;
        }
    }

    /// <summary>The latest persisted checkpoint of the run: the one this attempt starts from (after a restart) or the last
    /// one reported since; null when there is none yet (Ray's <c>ray.train.get_checkpoint</c>). Restore from it to resume.</summary>
    public Checkpoint? GetCheckpoint() => _checkpoint is null ? null : Checkpoint.Persisted(_checkpoint);

    /// <summary>This worker's shard of the dataset <paramref name="name"/> given to the trainer (Ray's
    /// <c>get_dataset_shard</c>): rows <c>WorldRank, WorldRank + WorldSize, ...</c>, disjoint from every other worker's.</summary>
    /// <typeparam name="T">The row type the dataset was made with (<see cref="TrainDataset.From{T}"/>).</typeparam>
    /// <exception cref="KeyNotFoundException">The trainer has no dataset of that name (the message lists the names).</exception>
    /// <exception cref="InvalidCastException">The dataset's rows are not of type <typeparamref name="T"/> (the message
    /// names their type).</exception>
    public async Task<T[]> GetDatasetShard<T>(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var datasets = Setup.Datasets;
        if (!datasets.TryGetValue(name, out var shard))
        {
            throw new KeyNotFoundException($"The trainer has no dataset '{name}'; it has: {(datasets.Count == 0 ? "none" : string.Join(", ", datasets.Keys.Order()))}.");
        }

        object? rows = shard switch
        {
            ObjectRef<T[]> typed => await Ray.Current.GetAsync(typed, cancellationToken).ConfigureAwait(false),
            ObjectRef<object> untyped => await Ray.Current.GetAsync(untyped, cancellationToken).ConfigureAwait(false),
            _ => throw WrongRowType<T>(name, HeldType(shard)),
        };
        return rows as T[] ?? throw WrongRowType<T>(name, rows?.GetType());
    }

    /// <summary>The <c>T</c> of a shard's <see cref="ObjectRef{T}"/>: the array of rows it holds.</summary>
    private static Type? HeldType(ObjectRef shard) =>
        shard.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(ObjectRef<>) ? type.GetGenericArguments()[0] : null;

    /// <summary>A shard read as rows of the wrong type; the message names the rows' real type (a shard is an array of
    /// them), not the ref or array type that carries them.</summary>
    private static InvalidCastException WrongRowType<T>(string name, Type? shardType)
    {
        var rowType = shardType?.IsArray == true ? shardType.GetElementType() : shardType;
        return new InvalidCastException(rowType is null
            ? $"Dataset '{name}' holds no rows of {DisplayName(typeof(T))}."
            : $"Dataset '{name}' holds rows of {DisplayName(rowType)}, not {DisplayName(typeof(T))}: read it with " +
              $"GetDatasetShard<{DisplayName(rowType)}>(\"{name}\"), the row type it was made with (TrainDataset.From).");
    }

    /// <summary>A type as C# spells it, without the arity suffix: <c>List&lt;Int32&gt;</c>, <c>Double[]</c>.</summary>
    private static string DisplayName(Type type) =>
        type.IsArray ? DisplayName(type.GetElementType()!) + "[]"
        : type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(DisplayName))}>"
        : type.Name;

    /// <summary>Combines <paramref name="values"/> element-wise across every worker and returns the result, the same on
    /// every rank (Ray's <c>allreduce</c>; e.g. summing gradients). Every worker must call it with arrays of one length.
    /// In place, as torch.distributed's: <paramref name="values"/> is overwritten with the result, and the returned
    /// array is <paramref name="values"/> itself.</summary>
    public Task<float[]> AllReduceAsync(float[] values, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return WithToken(cancellationToken, t => Collectives.AllReduceAsync(values, op, t));
    }

    /// <inheritdoc cref="AllReduceAsync(float[], ReduceOp, CancellationToken)"/>
    public Task<double[]> AllReduceAsync(double[] values, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return WithToken(cancellationToken, t => Collectives.AllReduceAsync(values, op, t));
    }

    /// <summary>Combines the tensor <paramref name="values"/> element-wise across every worker (Ray's <c>allreduce</c> of
    /// a torch tensor; e.g. summing a layer's gradient), as the array overload does. Every worker must call it with a
    /// tensor of one shape. In place, as torch.distributed's: the result is written into the tensor's own memory (no copy
    /// of the whole tensor), and the returned tensor is <paramref name="values"/> itself, its shape unchanged.</summary>
    /// <remarks>
    /// <para>The tensor must be dense (<see cref="Tensor{T}.IsDense"/>: its elements one contiguous row-major run, as a
    /// tensor made by <c>Tensor.Create(array, lengths)</c> or <c>Tensor.CreateFromShape</c>); a slice of columns, a
    /// transposed or a broadcast view is refused (torch's backends need a contiguous tensor too): reduce
    /// <c>tensor.ToDenseTensor()</c> and copy the result back with <c>dense.CopyTo(tensor)</c>.</para>
    /// <para>System.Numerics.Tensors 11.0.0's <see cref="Tensor{T}"/> is a stable API (not marked
    /// <c>[Experimental]</c>, as it was in 9.0), so these overloads need no diagnostic suppressed.</para>
    /// </remarks>
    /// <param name="values">A dense tensor, the same shape on every worker.</param>
    /// <param name="op">How values are combined: <see cref="ReduceOp.Sum"/> (the default), Mean, Max or Min.</param>
    /// <param name="cancellationToken">Stops waiting (with the attempt's own token).</param>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="op"/> is not a <see cref="ReduceOp"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is not dense, or a neighbouring worker passed a tensor of another
    /// shape (the message names both ranks and shapes, e.g. "rank 1 passed a tensor of shape [2, 3] but rank 0 passed a
    /// tensor of shape [3, 2]"); the other workers fail with <see cref="CollectiveAbortedException"/> carrying it.</exception>
    public Task<Tensor<float>> AllReduceAsync(Tensor<float> values, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return WithToken(cancellationToken, t => Collectives.AllReduceAsync(values, op, t));
    }

    /// <inheritdoc cref="AllReduceAsync(Tensor{float}, ReduceOp, CancellationToken)"/>
    public Task<Tensor<double>> AllReduceAsync(Tensor<double> values, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return WithToken(cancellationToken, t => Collectives.AllReduceAsync(values, op, t));
    }

    /// <summary>Rank <paramref name="root"/>'s <paramref name="value"/>, on every worker (Ray's <c>broadcast</c>).</summary>
    public Task<T> BroadcastAsync<T>(T value, int root = 0, CancellationToken cancellationToken = default)
    {
        if (root < 0 || root >= WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank of the group, 0 to {WorldSize - 1}.");
        }

        return WithToken(cancellationToken, t => Collectives.BroadcastAsync(value, root, t));
    }

    /// <summary>Returns once every worker has called it (Ray's <c>barrier</c>).</summary>
    public Task BarrierAsync(CancellationToken cancellationToken = default) =>
        WithToken(cancellationToken, async t =>
        {
            await Collectives.BarrierAsync(t).ConfigureAwait(false);
            return true;
        });

    /// <summary>Sets the worker up for an attempt (the trainer's first call on it).</summary>
    internal bool Configure(WorkerSetup setup)
    {
        _setup = setup;
        _checkpoint = setup.Checkpoint;
        _reports = 0;
        _communicator = new Communicator(Ray.Current, setup.GroupId, setup.WorldRank, setup.WorldSize, new WorkerTransport(Ray.Current, setup.Workers));
        return true;
    }

    /// <summary>The id of the node this worker runs on.</summary>
    internal string NodeName() => RayContext.NodeId.Value;

    /// <summary>A peer's collective message for this rank (runs in the "collective" group, beside the loop).</summary>
    [ConcurrencyGroup(CollectiveGroup)]
    internal bool Deliver(CollectiveMessage message)
    {
        CollectiveInbox.Deliver(message);
        return true;
    }

    /// <summary>Ends the attempt's collective group in this process (pending receives fail, later messages are
    /// discarded); the driver calls it before killing the group (runs in the "collective" group, beside the loop).</summary>
    [ConcurrencyGroup(CollectiveGroup)]
    internal bool Release(string groupId)
    {
        CollectiveInbox.Drop(groupId);
        return true;
    }

    /// <summary>Runs a collective with the caller's token and the attempt's together.</summary>
    private async Task<T> WithToken<T>(CancellationToken cancellationToken, Func<CancellationToken, Task<T>> collective)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, CancellationToken);
        return await collective(linked.Token).ConfigureAwait(false);
    }
}
