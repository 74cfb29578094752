using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>A placement group's calls to the nodes: the two node-side steps of its all-or-none reservation (reserve a
/// node's bundles, release the group's whole share on a node), and its removal. A node that fails or does not answer in
/// time counts as refusing; the failure is logged, never thrown.</summary>
/// <remarks>Owned by one <see cref="PlacementGroupGrain"/> activation and called on its scheduler; it keeps no state, so the
/// grain decides what an answer means (roll back, retry, forget a node).</remarks>
internal sealed partial class PlacementGroupReservations
{
    /// <summary>A node that does not answer a reservation within this time is treated as refusing (it is dying or gone).</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly Guid _group;
    private readonly ILogger _logger;

    /// <param name="group">The placement group's id.</param>
    /// <param name="logger">The grain's logger, so these events keep its category.</param>
    public PlacementGroupReservations(Guid group, ILogger logger)
    {
        _group = group;
        _logger = logger;
    }

    /// <summary>Asks <paramref name="node"/> to hold <paramref name="bundles"/>, all or none.</summary>
    /// <returns>True when the node took them all; false when it refused, failed or did not answer.</returns>
    public Task<bool> ReserveAsync(NodeId node, INodeEndpoint endpoint, BundleReservation[] bundles) =>
        CallAsync(node, "reserve", () => endpoint.ReserveBundlesAsync(bundles));

    /// <summary>Frees every bundle of the group on <paramref name="node"/>.</summary>
    /// <returns>True when the node confirmed; false when it failed or did not answer (it may still hold them).</returns>
    public Task<bool> ReleaseAsync(NodeId node, INodeEndpoint endpoint) =>
        CallAsync(node, "release", async () => { await endpoint.ReleaseBundlesAsync(_group); return true; });

    /// <summary>Tells <paramref name="node"/> the group was removed (<see cref="INodeEndpoint.RemovePlacementGroupAsync"/>):
    /// it ends the group's work there and frees its bundles once their tenants are gone.</summary>
    /// <returns>True when the node confirmed; false when it failed or did not answer (it is dying or gone).</returns>
    public Task<bool> RemoveAsync(NodeId node, INodeEndpoint endpoint) =>
        CallAsync(node, "remove", async () => { await endpoint.RemovePlacementGroupAsync(_group); return true; });

    /// <summary>One call to a node within <see cref="CallTimeout"/>: its answer, or false (logged) when it failed or did
    /// not answer.</summary>
    private async Task<bool> CallAsync(NodeId node, string operation, Func<Task<bool>> call)
    {
        try
        {
            return await call().WaitAsync(CallTimeout);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCallFailed(_logger, _group, operation, node, ex.GetType().Name, ex.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement group {Id:N}: {Operation} on node {Node} failed ({ErrorType}: {Reason})")]
    private static partial void LogCallFailed(ILogger logger, Guid id, string operation, NodeId node, string errorType, string reason);
}
