namespace OrleansRay.Grains;

/// <summary>The control store's node table (key 0): every node reports its resources and demands here.</summary>
[Alias("orleansray.INodeTableGrain")]
public interface INodeTableGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or refreshes a node's row outside the refresh loop (not an exchange: the row's demands count as
    /// computed against the same view as its previous row's).</summary>
    [Alias("Report")]
    Task ReportAsync(NodeStatus status);

    /// <summary>One round of a runtime's cluster view: records this node's row (<paramref name="self"/>; null for a
    /// driver, which reports the demands it holds instead) and returns every node's row. The reporter's next report is
    /// taken as computed against the rows returned here.</summary>
    [Alias("Exchange")]
    Task<IReadOnlyList<NodeStatus>> ExchangeAsync(NodeStatus? self, WorkerId reporter, ResourceDemandInfo[] driverDemands);

    /// <summary>Demands held by connected drivers (tasks no live node can run yet).</summary>
    [Alias("DriverDemands")]
    Task<IReadOnlyList<ResourceDemandInfo>> DriverDemandsAsync();

    /// <summary>When each connected driver last exchanged with the table (drivers refresh every ~300 ms).</summary>
    [Alias("DriversSeen")]
    Task<IReadOnlyDictionary<string, DateTimeOffset>> DriversSeenAsync();

    /// <summary>Records that a placement group is pending (<paramref name="pending"/>) or not any more (null). A pending
    /// group reports every placement round (500 ms); a report older than a few seconds is dropped.</summary>
    [Alias("ReportPendingGroup")]
    Task ReportPendingGroupAsync(Guid id, PendingPlacementGroupInfo? pending);

    /// <summary>The placement groups waiting for resources (Ray's pending placement groups).</summary>
    [Alias("PendingGroups")]
    Task<IReadOnlyList<PendingPlacementGroupInfo>> PendingGroupsAsync();

    /// <summary>Marks a node dead (it left or was declared dead by membership).</summary>
    [Alias("MarkDead")]
    Task MarkDeadAsync(NodeId nodeId);

    /// <summary>The head's node id: the node the control store (this table) lives on (Ray's <c>is_head_node</c>).</summary>
    [Alias("Head")]
    Task<NodeId> HeadAsync();

    /// <summary>Every known node, alive and dead. A live row's demands are left out while they were computed before the
    /// newest node joined (the node may still spill those tasks to it); a dead row has none.</summary>
    [Alias("List")]
    Task<IReadOnlyList<NodeStatus>> ListAsync();
}
