using OrleansRay.Scheduling;

namespace OrleansRay.Placement;

/// <summary>What a task with a hard <c>NodeAffinity</c> (<c>soft: false</c>) fails with when its node cannot run it
/// (Ray's <c>TaskUnschedulableError</c>; here a <c>NodeDiedException</c>).</summary>
internal static class NodeAffinityFailure
{
    /// <summary>The node is not alive (<paramref name="node"/> null: no view of the cluster shows it), or has less in
    /// all than the task asks; each says what to do.</summary>
    public static string Message(TaskSpec spec, RemoteNode? node) =>
        $"Task {spec.DisplayName} must run on node {spec.Placement.Node} (NodeAffinity, soft: false), " + (node is null
            ? "which is not alive; take a live node's id from ray.NodesAsync(), or pass soft: true to let it run elsewhere."
            : $"which has {node.Total} in all, less than the {spec.Resources} it asks; ask for less, or pass soft: true to let it run elsewhere.");
}
