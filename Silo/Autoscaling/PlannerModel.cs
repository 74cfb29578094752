namespace OrleansRay.Silo.Autoscaling;

/// <summary>A worker node type as the planner sees it (from <see cref="NodeTypeConfig"/>).</summary>
internal sealed record WorkerNodeType(string Name, ResourceSet Resources, int MinWorkers, int MaxWorkers)
{
    /// <summary>The worker types of <paramref name="config"/>.</summary>
    public static IReadOnlyList<WorkerNodeType> From(ClusterConfig config) =>
        config.WorkerTypes.Select(t => new WorkerNodeType(t.Name, t.Resources, t.MinWorkers, t.MaxWorkers)).ToList();
}

/// <summary>The cluster-wide limits: Ray's global <c>max_workers</c>, <c>upscaling_speed</c> and <c>idle_timeout_minutes</c>.</summary>
internal sealed record AutoscalerLimits(int MaxWorkers, double UpscalingSpeed, TimeSpan IdleTimeout)
{
    /// <summary>The limits of <paramref name="config"/>.</summary>
    public static AutoscalerLimits From(ClusterConfig config) => new(config.MaxWorkers, config.UpscalingSpeed, config.IdleTimeout);
}

/// <summary>A live node. <paramref name="NodeType"/> is null for a node the autoscaler did not launch (joined by
/// hand): it counts as capacity but is never removed. <paramref name="IdleSince"/> is when it last became idle (null:
/// busy now).</summary>
internal sealed record ClusterNode(
    string NodeId,
    string? NodeType,
    bool IsHead,
    ResourceSet Total,
    ResourceSet Available,
    DateTimeOffset? IdleSince,
    bool HasRunningWork,
    bool HasActors,
    bool HasPrimaryObjects);

/// <summary>A node the provider is starting (asked for, not yet in the cluster): it will bring its type's resources.</summary>
internal sealed record LaunchingNode(string ProviderId, string NodeType);

/// <summary>Pending tasks (or actors) of one resource shape: Ray's resource demand vector entry.</summary>
internal sealed record PendingDemand(ResourceSet Shape, int Count, bool IsActor)
{
    /// <summary>How one reads in reasons, e.g. "pending task(s) {CPU: 1}".</summary>
    public string Label => $"pending {(IsActor ? "actor(s)" : "task(s)")} {Shape}";

    /// <summary>How <paramref name="count"/> of them read in reasons, e.g. "6 pending task(s) {CPU: 1}".</summary>
    public string Describe(int count) => $"{count} {Label}";
}

/// <summary>A placement group waiting for its bundles (Ray's pending placement group), with its strategy.</summary>
internal sealed record PendingPlacementGroup(string Name, PlacementStrategy Strategy, IReadOnlyList<ResourceSet> Bundles);

/// <summary>What the planner decides from: Ray's autoscaler's load metrics and node list at one instant.</summary>
/// <param name="NodeTypes">The worker node types (not the head's).</param>
/// <param name="Limits">The cluster-wide limits.</param>
/// <param name="Nodes">The live nodes, head included.</param>
/// <param name="Launching">Nodes asked of the provider that have not joined yet.</param>
/// <param name="Demands">Pending tasks and actors by shape, infeasible ones included.</param>
/// <param name="PlacementGroups">Pending placement groups.</param>
/// <param name="RequestedResources">Ray's <c>request_resources</c> bundles: capacity the cluster must hold in total,
/// whether or not work uses it.</param>
/// <param name="Now">The instant of the decision (idle times are measured against it).</param>
internal sealed record PlannerInput(
    IReadOnlyList<WorkerNodeType> NodeTypes,
    AutoscalerLimits Limits,
    IReadOnlyList<ClusterNode> Nodes,
    IReadOnlyList<LaunchingNode> Launching,
    IReadOnlyList<PendingDemand> Demands,
    IReadOnlyList<PendingPlacementGroup> PlacementGroups,
    IReadOnlyList<ResourceSet> RequestedResources,
    DateTimeOffset Now);

/// <summary>Launch <paramref name="Count"/> nodes of <paramref name="NodeType"/>, because of <paramref name="Reason"/>.</summary>
internal sealed record LaunchDecision(string NodeType, int Count, string Reason);

/// <summary>Remove node <paramref name="NodeId"/> (of <paramref name="NodeType"/>), because of <paramref name="Reason"/>.</summary>
internal sealed record TerminateDecision(string NodeId, string NodeType, string Reason);

/// <summary>Demand the plan does not serve this round: <paramref name="Demand"/> describes it, <paramref name="Reason"/>
/// says why (no node type can hold it: infeasible; or a limit is reached).</summary>
internal sealed record UnservedDemand(string Demand, string Reason);

/// <summary>The planner's decisions, each with its reason (the autoscaler logs them).</summary>
/// <param name="Launches">Nodes to launch, by type (name order).</param>
/// <param name="Terminations">Nodes to remove.</param>
/// <param name="Infeasible">Demands no node type (and no live node) can ever hold: nothing is launched for them.</param>
/// <param name="Waiting">Demands a node type could hold but that wait: max_workers or upscaling_speed stop a launch.</param>
internal sealed record AutoscalerPlan(
    IReadOnlyList<LaunchDecision> Launches,
    IReadOnlyList<TerminateDecision> Terminations,
    IReadOnlyList<UnservedDemand> Infeasible,
    IReadOnlyList<UnservedDemand> Waiting)
{
    /// <summary>How many nodes of <paramref name="nodeType"/> the plan launches.</summary>
    public int LaunchCount(string nodeType) => Launches.Where(l => l.NodeType == nodeType).Sum(l => l.Count);
}
