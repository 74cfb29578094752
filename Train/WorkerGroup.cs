using OrleansRay.Train.Wire;

namespace OrleansRay.Train;

/// <summary>One attempt's actors: a coordinator and one worker per bundle of the run's placement group, ranked by node.</summary>
internal sealed class WorkerGroup
{
    private WorkerGroup(ActorHandle<TrainCoordinator> coordinator, ActorHandle<TrainContext>[] workers, string[] nodes)
    {
        Coordinator = coordinator;
        Workers = workers;
        Nodes = nodes;
    }

    /// <summary>The attempt's coordinator.</summary>
    public ActorHandle<TrainCoordinator> Coordinator { get; }

    /// <summary>The workers, indexed by world rank.</summary>
    public ActorHandle<TrainContext>[] Workers { get; }

    /// <summary>The node of each rank.</summary>
    public string[] Nodes { get; }

    /// <summary>Starts the coordinator and one worker in each bundle, waits until each runs, and ranks them node by node
    /// (nodes in the order of the lowest bundle each holds; within a node, by bundle).</summary>
    /// <exception cref="WorkerStartException">A worker could not start (its bundle index says which).</exception>
    public static async Task<WorkerGroup> StartAsync(
        IRay ray, PlacementGroup placementGroup, IReadOnlyDictionary<string, double> bundle,
        CancellationToken cancellationToken)
    {
        var worldSize = placementGroup.BundleCount;
        // The coordinator (0 CPU) goes to the driver's node when it can (soft affinity): not to a worker's node, whose loss
        // would then take the run's bookkeeping with it.
        var coordinatorOptions = new ActorOptions();
        if (!string.IsNullOrEmpty(ray.NodeId.Value))
        {
            coordinatorOptions.SchedulingStrategy = SchedulingStrategy.NodeAffinity(ray.NodeId, soft: true);
        }

        var coordinator = ray.Actor(() => new TrainCoordinator(worldSize)).Options(coordinatorOptions).Remote();
        var byBundle = new ActorHandle<TrainContext>[worldSize];
        for (var i = 0; i < worldSize; i++)
        {
            byBundle[i] = ray.Actor(() => new TrainContext()).Options(WorkerOptions(placementGroup, i, bundle)).Remote();
        }

        var nodeOf = new string[worldSize];
        try
        {
            for (var i = 0; i < worldSize; i++)
            {
                try
                {
                    nodeOf[i] = await ray.GetAsync(byBundle[i].Task(w => w.NodeName()).Remote(), StartTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (CallFailureKinds.IsLost(ex))
                {
                    throw new WorkerStartException(i, ex);
                }
            }
        }
        catch
        {
            await KillAsync(ray, coordinator, byBundle).ConfigureAwait(false);
            throw;
        }

        var nodeOrder = nodeOf.Distinct(StringComparer.Ordinal).ToList();
        var ranked = Enumerable.Range(0, worldSize)
            .OrderBy(i => nodeOrder.IndexOf(nodeOf[i]))
            .ThenBy(i => i)
            .ToArray();
        return new WorkerGroup(coordinator, ranked.Select(i => byBundle[i]).ToArray(), ranked.Select(i => nodeOf[i]).ToArray());
    }

    /// <summary>The setup of rank <paramref name="rank"/>.</summary>
    public WorkerSetup SetupOf(int rank, string groupId, RunState run, int attempt, Dictionary<string, ObjectRef> datasets)
    {
        var node = Nodes[rank];
        var nodes = Nodes.Distinct(StringComparer.Ordinal).ToList();
        return new WorkerSetup
        {
            GroupId = groupId,
            WorldRank = rank,
            WorldSize = Workers.Length,
            LocalRank = Nodes.Take(rank).Count(n => n == node),
            LocalWorldSize = Nodes.Count(n => n == node),
            NodeRank = nodes.IndexOf(node),
            Workers = Workers,
            Coordinator = Coordinator,
            RunName = run.Name,
            RunPath = run.Path,
            FirstIteration = run.History.Count,
            Checkpoint = run.LatestCheckpoint,
            Datasets = datasets,
            Attempt = attempt,
        };
    }

    /// <summary>Drops the attempt's collective group on every worker's node (a loop blocked in a collective fails
    /// with <c>CollectiveAbortedException</c>; no mailbox stays behind), then kills the attempt's actors (a running
    /// loop's <see cref="TrainContext.CancellationToken"/> fires).</summary>
    public async Task KillAsync(IRay ray, string groupId)
    {
        await ReleaseAsync(ray, groupId, Enumerable.Range(0, Workers.Length)).ConfigureAwait(false);
        await KillAsync(ray, Coordinator, Workers).ConfigureAwait(false);
    }

    /// <summary>Drops the attempt's collective group on the nodes of the workers <paramref name="ranks"/>: a loop blocked
    /// in a collective fails with <c>CollectiveAbortedException</c>. Waits at most 5 s; a dead worker is skipped.</summary>
    public async Task ReleaseAsync(IRay ray, string groupId, IEnumerable<int> ranks)
    {
        try
        {
            var released = ranks.Select(r => Workers[r])
                .Select(w => w.Task((x, g) => x.Release(g), groupId).Options(new ActorCallOptions { ConcurrencyGroup = TrainContext.CollectiveGroup }).Remote())
                .ToList();
            await ray.GetAsync(released, ReleaseTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (CallFailureKinds.IsGone(ex))
        {
            // A worker died with its node: its node's mailboxes went with it (or the driver shut down, and the job's
            // actors with it).
        }
    }

    /// <summary>How long the driver waits for a worker of a reserved bundle to run before the attempt fails.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long the driver waits for the workers to drop their group before killing them anyway.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    private static async Task KillAsync(IRay ray, ActorHandle<TrainCoordinator> coordinator, ActorHandle<TrainContext>[] workers)
    {
        foreach (var worker in workers.Where(w => w is not null))
        {
            await KillQuietlyAsync(() => ray.KillAsync(worker)).ConfigureAwait(false);
        }

        await KillQuietlyAsync(() => ray.KillAsync(coordinator)).ConfigureAwait(false);
    }

    private static async Task KillQuietlyAsync(Func<Task> kill)
    {
        try
        {
            await kill().ConfigureAwait(false);
        }
        catch (Exception ex) when (CallFailureKinds.IsGone(ex))
        {
            // Already dead, or its node is going away with it, or the driver shut down and its job's actors with it:
            // nothing left to stop.
        }
    }

    private static ActorOptions WorkerOptions(PlacementGroup placementGroup, int bundleIndex, IReadOnlyDictionary<string, double> bundle)
    {
        var options = new ActorOptions
        {
            PlacementGroup = placementGroup,
            BundleIndex = bundleIndex,
            NumCpus = bundle.GetValueOrDefault("CPU"),
            NumGpus = bundle.GetValueOrDefault("GPU"),
            ConcurrencyGroups = { [TrainContext.CollectiveGroup] = 16 }, // messages only hand a buffer to the inbox: quick
        };
        foreach (var (name, amount) in bundle.Where(r => r.Key is not "CPU" and not "GPU"))
        {
            if (name == "memory")
            {
                options.Memory = (long)amount;
            }
            else
            {
                options.Resources[name] = amount;
            }
        }

        return options;
    }
}
