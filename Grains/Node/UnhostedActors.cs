using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>The actors no live node hosts, as the state API shows them (Ray's <c>ray list actors</c> lists every
/// namespace, and the dead actors its GCS keeps): every actor the actor table last saw on a node that is gone, dead or
/// not, and the named actors of every namespace no node hosts yet (the actor directories name them; the actor table
/// says what became of them). An actor whose node died is rebuilt only at its next call
/// or lookup, so until then it shows <c>RESTARTING</c> when a restart is left and <c>DEAD</c> when none is (what Ray's
/// GCS marks it when the node dies); one still being created shows <c>PENDING</c>.</summary>
internal static class UnhostedActors
{
    /// <summary>The rows of the actors the actor table last saw on a node not in <paramref name="aliveNodes"/>, and of the
    /// named actors of every namespace (<see cref="IActorNamespacesGrain"/>), that are not in <paramref name="hosted"/>.</summary>
    /// <param name="grains">The grain factory to reach the control store with.</param>
    /// <param name="hosted">The ids (<see cref="ActorId.ToString"/>) of the actors live nodes answered for.</param>
    /// <param name="aliveNodes">The ids of the live nodes (<see cref="NodeId.Value"/>).</param>
    /// <param name="filters">The state API's filters, as nodes apply them (a job named by its driver): the actor table
    /// applies them, so a large table sends back only what passes.</param>
    /// <param name="limit">At most this many of the actor table's rows per shard.</param>
    /// <param name="deadline">How long the directory and the table may take.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>The rows, a warning when the directory or the table did not answer (without the table's answer the
    /// rows show the directory's states), and how many more of the table's rows passed the filters than came back (over
    /// the limit).</returns>
    public static async Task<(List<ActorStateRow> Rows, string? Warning, int Unlisted)> ReadAsync(
        IGrainFactory grains, IReadOnlySet<string> hosted, IReadOnlySet<string> aliveNodes, IReadOnlyList<StateFilter> filters, int limit, TimeSpan deadline, CancellationToken cancellationToken)
    {
        List<ActorInfo> named;
        string? warning = null;
        try
        {
            named = await ReadDirectoriesAsync().WaitAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            named = [];
            warning = $"the actor directory did not answer ({ex.GetType().Name}): named actors no node hosts may be missing";
        }

        var rows = new Dictionary<ActorId, ActorTableRowInfo>();
        try
        {
            var asks = named.GroupBy(n => ActorTableShards.Of(n.ActorId))
                .Select(shard => grains.GetGrain<IActorTableGrain>(shard.Key).RowsAsync(shard.Select(n => n.ActorId).ToArray()));
            foreach (var row in (await Task.WhenAll(asks).WaitAsync(deadline, cancellationToken).ConfigureAwait(false)).SelectMany(r => r))
            {
                rows[row.ActorId] = row;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            warning ??= $"the actor table did not answer ({ex.GetType().Name}): named actors no node hosts show their directory state";
        }

        // Every shard's actors last seen on a node that is gone (a dead actor's row outlives its node, as in Ray's GCS).
        var result = new Dictionary<string, ActorStateRow>(StringComparer.Ordinal);
        var unlisted = 0;
        try
        {
            var alive = aliveNodes.ToArray();
            var sent = filters.ToArray();
            var asks = Enumerable.Range(0, ActorTableShards.Count).Select(shard => grains.GetGrain<IActorTableGrain>(shard).LostAsync(alive, sent, limit));
            var answers = await Task.WhenAll(asks).WaitAsync(deadline, cancellationToken).ConfigureAwait(false);
            unlisted = answers.Sum(a => a.Matched - a.Rows.Length);
            foreach (var row in answers.SelectMany(r => r.Rows))
            {
                if (!hosted.Contains(row.ActorId))
                {
                    result[row.ActorId] = row;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            warning ??= $"the actor table did not answer ({ex.GetType().Name}): actors whose node is gone are missing unless named";
        }

        foreach (var n in named)
        {
            result.TryAdd(n.ActorId.ToString(), Row(n, rows.TryGetValue(n.ActorId, out var row) ? row : null, aliveNodes));
        }

        return (result.Values.ToList(), warning, unlisted);

        async Task<List<ActorInfo>> ReadDirectoriesAsync()
        {
            var namespaces = await grains.GetGrain<IActorNamespacesGrain>(0).ListAsync().ConfigureAwait(false);
            var directories = await Task.WhenAll(namespaces.Select(ns => grains.GetGrain<IActorDirectoryGrain>(ns).ListAsync())).ConfigureAwait(false);
            return directories.SelectMany(d => d).Where(n => !hosted.Contains(n.ActorId.ToString())).ToList();
        }
    }

    private static ActorStateRow Row(ActorInfo named, ActorTableRowInfo? row, IReadOnlySet<string> aliveNodes)
    {
        if (row is not { } known)
        {
            return new ActorStateRow(named.ActorId.ToString(), named.ClassName, named.Name, named.Namespace, Text(named.State), named.Node, named.Restarts, named.Detached, null, null);
        }

        // A row whose node is gone: the node died under it and nothing rebuilt it yet.
        var lost = known.State != ActorState.Dead && known.Node.Length > 0 && !aliveNodes.Contains(known.Node);
        var state = known.State == ActorState.Dead || (lost && !known.MayRestart) ? "DEAD"
            : lost ? "RESTARTING"
            : Text(known.State);
        return new ActorStateRow(named.ActorId.ToString(), named.ClassName, named.Name, named.Namespace, state, known.Node.Length > 0 ? known.Node : named.Node, known.Restarts, named.Detached, null, null);
    }

    private static string Text(ActorState state) => state.ToString().ToUpperInvariant();
}
