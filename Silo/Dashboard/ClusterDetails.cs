using OrleansRay.Grains;
using OrleansRay.Node;

namespace OrleansRay.Silo.Dashboard;

/// <summary>Asks every live node for its details (task counts, latest tasks, hosted actors, objects, store) through its
/// endpoint, all at once, each with a deadline: a dead or slow node is reported unavailable instead of holding up a page.</summary>
/// <remarks>The node serving the dashboard answers from its own runtime, without a message.</remarks>
internal sealed class ClusterDetails
{
    /// <summary>How long a node may take to answer. A node answers from memory in milliseconds (its store's figures
    /// take a socket round trip, bounded at 1 s); the pages poll every second, so a node that needs longer is shown
    /// unavailable for that refresh rather than freezing the page.</summary>
    public static readonly TimeSpan NodeDeadline = TimeSpan.FromSeconds(2);

    private readonly IGrainFactory _grains;
    private readonly NodeRuntime _runtime;

    public ClusterDetails(IGrainFactory grains, NodeRuntime runtime)
    {
        _grains = grains;
        _runtime = runtime;
    }

    /// <summary>One live node's answer: <see cref="Details"/>, or why there is none (<see cref="Error"/>).</summary>
    internal sealed record NodeReport(NodeStatus Row, NodeDetails? Details, string? Error)
    {
        public string Node => Row.NodeId.Value ?? string.Empty;
    }

    /// <summary>The details of every node the node table lists alive, ordered by address; each with at most
    /// <paramref name="latestTasks"/> of its latest finished tasks.</summary>
    public async Task<IReadOnlyList<NodeReport>> GatherAsync(int latestTasks, CancellationToken cancellationToken)
    {
        var rows = await _grains.GetGrain<INodeTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var alive = rows.Where(r => r.IsAlive).OrderBy(r => r.Address, StringComparer.Ordinal).ToList();
        return await Task.WhenAll(alive.Select(row => AskAsync(row, latestTasks, cancellationToken))).ConfigureAwait(false);
    }

    private async Task<NodeReport> AskAsync(NodeStatus row, int latestTasks, CancellationToken cancellationToken)
    {
        try
        {
            Task<NodeDetails> ask;
            if (row.NodeId == _runtime.NodeId)
            {
                ask = NodeDetailsReport.ReadAsync(_runtime, latestTasks);
            }
            else if (row.Endpoint is { } endpoint)
            {
                ask = endpoint.GetDetailsAsync(latestTasks);
            }
            else
            {
                return new NodeReport(row, null, "the node reported no endpoint");
            }

            return new NodeReport(row, await ask.WaitAsync(NodeDeadline, cancellationToken).ConfigureAwait(false), null);
        }
        catch (TimeoutException)
        {
            return new NodeReport(row, null, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer within {NodeDeadline.TotalSeconds:0} s"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Left or died since the table's last word: membership marks it dead within seconds.
            return new NodeReport(row, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }
}
