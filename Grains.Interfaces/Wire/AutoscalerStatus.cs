namespace OrleansRay.Grains;

/// <summary>The autoscaler loop's last round, as <c>orleansray status</c> and the dashboard show it.</summary>
/// <param name="ReportedAt">When the round ran.</param>
/// <param name="ClusterName">The config's <c>cluster_name</c>.</param>
/// <param name="Pending">Nodes launching (asked of the provider, not yet in the cluster): Ray's "Pending" section.</param>
/// <param name="RecentFailures">Nodes that failed to start or stopped on their own, newest first: Ray's "Recent
/// failures" section.</param>
/// <param name="RecentDecisions">The last launch/terminate decisions with their reasons, newest first (at most 20).</param>
[GenerateSerializer, Immutable, Alias("orleansray.autoscalerstatus")]
public sealed record AutoscalerStatus(
    [property: Id(0)] DateTimeOffset ReportedAt,
    [property: Id(1)] string ClusterName,
    [property: Id(2)] IReadOnlyList<AutoscalerNodeInfo> Pending,
    [property: Id(3)] IReadOnlyList<AutoscalerNodeInfo> RecentFailures,
    [property: Id(4)] IReadOnlyList<string> RecentDecisions)
{
    /// <summary>Demands no node type (and no live node) can ever hold, "DEMAND: REASON": nothing is launched for them
    /// (Ray's infeasible demands, judged against the config's node types, not only the live nodes).</summary>
    [Id(5)] public IReadOnlyList<string> Infeasible { get; init; } = [];

    /// <summary>Demands a node type could hold that wait for a limit (max_workers, upscaling_speed), "DEMAND: REASON".</summary>
    [Id(6)] public IReadOnlyList<string> Waiting { get; init; } = [];
}

/// <summary>A node the autoscaler's provider launched.</summary>
/// <param name="ProviderId">The provider's id of it (a process id, a pod name).</param>
/// <param name="NodeType">Its node type in the config.</param>
/// <param name="Address">"HOST:PORT" (or HOST) once known; null before.</param>
/// <param name="Since">When it entered its state (launched, or failed).</param>
/// <param name="FailureReason">Why it failed; null for a pending node.</param>
[GenerateSerializer, Immutable, Alias("orleansray.autoscalernodeinfo")]
public sealed record AutoscalerNodeInfo(
    [property: Id(0)] string ProviderId,
    [property: Id(1)] string NodeType,
    [property: Id(2)] string? Address,
    [property: Id(3)] DateTimeOffset Since,
    [property: Id(4)] string? FailureReason);
