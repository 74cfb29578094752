namespace OrleansRay;

/// <summary>A node of the cluster.</summary>
/// <param name="Id">The node's id.</param>
/// <param name="Address">Its silo address.</param>
/// <param name="IsAlive">False once it left or was declared dead.</param>
/// <param name="Resources">Its total resources.</param>
/// <param name="AvailableResources">Its free resources at its last report.</param>
public sealed record NodeInfo(NodeId Id, string Address, bool IsAlive, IReadOnlyDictionary<string, double> Resources, IReadOnlyDictionary<string, double> AvailableResources);
