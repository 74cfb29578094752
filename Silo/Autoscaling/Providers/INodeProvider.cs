namespace OrleansRay.Silo.Autoscaling.Providers;

/// <summary>Where a provider's node stands (Ray's node status tags: pending → up-to-date, or failed).</summary>
internal enum ProviderNodeState
{
    /// <summary>Asked for, not yet up (a process starting, a pod scheduled or pulling its image).</summary>
    Launching,

    /// <summary>Up: its <c>orleansray start</c> runs (it joins the cluster, or has joined).</summary>
    Running,

    /// <summary>Could not start, or stopped on its own; <see cref="ProviderNode.FailureReason"/> says why. Ray's
    /// "Recent failures".</summary>
    Failed,
}

/// <summary>One node a provider launched.</summary>
/// <param name="Id">The provider's id of it (a process id, a pod name; "pending-N" for a pod not created yet).</param>
/// <param name="NodeType">The node type it was launched as.</param>
/// <param name="State">Where it stands.</param>
/// <param name="NodeAddress">How the node shows in the node table once joined: "HOST:PORT", or just HOST when the
/// port is not known to the provider (a pod's IP); null while unknown.</param>
/// <param name="FailureReason">Why it failed (null unless <see cref="ProviderNodeState.Failed"/>).</param>
/// <param name="Since">When it entered <paramref name="State"/> (or was launched), when the provider knows.</param>
/// <param name="Address">Its client address "HOST:PORT" (the <c>--port</c> it was started with), how <c>status</c>,
/// <c>list nodes</c> (address), <c>stop</c> and <c>down</c> name a node; null when the provider does not know it (then
/// <paramref name="NodeAddress"/> is shown).</param>
/// <param name="FailedAfterJoining">A <see cref="ProviderNodeState.Failed"/> node that had joined the cluster, ran at
/// least <see cref="Autoscaler.FailureBackoff"/>, and then died (killed, crashed): the autoscaler replaces it at once
/// instead of backing off its type, which it does for nodes that never came up or died soon after joining (a bad start
/// option, or a crash on the first task, would otherwise relaunch in a tight loop).</param>
internal sealed record ProviderNode(string Id, string NodeType, ProviderNodeState State, string? NodeAddress, string? FailureReason, DateTimeOffset? Since, string? Address = null, bool FailedAfterJoining = false)
{
    /// <summary>How <c>status</c> names the node: <see cref="Address"/>, else <see cref="NodeAddress"/>.</summary>
    public string? ShownAddress => Address ?? NodeAddress;
}

/// <summary>Ray's NodeProvider: where the autoscaler's worker nodes come from. The autoscaler (on the head) calls it with
/// the planner's decisions; <c>orleansray down</c> calls <see cref="TerminateAsync"/> for every node it lists.</summary>
/// <remarks>Implementations: kubernetes (<see cref="KubernetesNodeProvider"/>, scales the worker Deployment); local
/// (worker processes on this machine) comes with <c>orleansray up</c>. A provider keeps failed nodes listed for a while
/// (Ray's "Recent failures") and never retries on its own: the planner decides again next round.</remarks>
internal interface INodeProvider
{
    /// <summary>Starts <paramref name="count"/> nodes of <paramref name="nodeType"/>; returns them as
    /// <see cref="ProviderNodeState.Launching"/> (the start goes on after the call returns).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    Task<IReadOnlyList<ProviderNode>> LaunchAsync(NodeTypeConfig nodeType, int count, CancellationToken cancellationToken);

    /// <summary>Stops node <paramref name="id"/> (of <see cref="ListAsync"/>). Stopping one already gone is not an error.</summary>
    Task TerminateAsync(string id, CancellationToken cancellationToken);

    /// <summary>The provider's nodes: launching, running, and recently failed.</summary>
    Task<IReadOnlyList<ProviderNode>> ListAsync(CancellationToken cancellationToken);
}
