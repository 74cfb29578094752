using OrleansRay.Node;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>What code inside a task or actor method can learn about its invocation.</summary>
public static class RayContext
{
    /// <summary>True inside a task or actor method.</summary>
    public static bool IsInTask => TaskContext.Current is not null;

    /// <summary>Signalled when the running task is cancelled with <see cref="IRay.CancelAsync"/>; a long task should
    /// check it. <see cref="CancellationToken.None"/> outside tasks.</summary>
    public static CancellationToken CancellationToken => TaskContext.Current?.CancellationToken ?? CancellationToken.None;

    /// <summary>"Type.Method" of the running task or actor method, or null outside one.</summary>
    public static string? FunctionName => TaskContext.Current?.FunctionName;

    /// <summary>The node running the current task or actor method; in a driver, the node of <see cref="Ray.Current"/>
    /// (a connected driver has a node id of its own, "driver:..."). Default when neither applies.</summary>
    public static NodeId NodeId => NodeRuntime.Current?.NodeId ?? default;
}
