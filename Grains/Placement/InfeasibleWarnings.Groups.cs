using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.Placement;

/// <summary>The placement groups this runtime created, judged again as the live nodes change: a group that was feasible
/// when created but waits, pending, when a node it needed leaves (STRICT_SPREAD over two nodes, one dies before the group
/// was placed) is warned about then, once per bundles and strategy as at creation.</summary>
/// <remarks>
/// <para>Cheap by construction: a group only becomes infeasible when the live nodes shrink, so the groups are judged (in
/// memory, by the same check as at creation) only on a refresh whose live nodes differ from the last judged ones, and
/// only groups whose bundles and strategy are not warned about already. The control store is asked only for a group so
/// judged infeasible: once, for all of them, whether the node table's list of pending groups has them (what
/// <c>status</c> shows); a group not listed there is asked for its state (placed, with the loss not seen yet: asked again
/// at the next refresh; removed by another process: forgotten).</para>
/// <para>A group removed here (<see cref="ForgetPlacementGroup"/>) is not judged any more.</para>
/// </remarks>
internal sealed partial class InfeasibleWarnings
{
    /// <summary>How many refreshes after the live nodes changed a group judged infeasible but still placed is asked about.</summary>
    private const int PlacedRetries = 10;

    private readonly ConcurrentDictionary<Guid, PlacementGroupSpec> _ownGroups = new();
    private List<(NodeId Id, ResourceSet Total)>? _judgedNodes; // under _gate
    private bool _judgeAgain; // under _gate: the last judging could not confirm a group's state
    private int _placedRetries; // under _gate: judgings again since the live nodes changed for groups still placed
    private int _confirming;

    /// <summary>Stops judging placement group <paramref name="id"/>: it was removed.</summary>
    public void ForgetPlacementGroup(Guid id) => _ownGroups.TryRemove(id, out _);

    /// <summary>On the refresh loop: when the live nodes changed since the groups were last judged (or the last judging
    /// was not confirmed), finds this runtime's groups the live nodes could never hold and not warned about, and starts
    /// confirming they still wait. Never blocks.</summary>
    private void CheckOwnGroups(List<(NodeId Id, ResourceSet Total)> nodes)
    {
        if (_ownGroups.IsEmpty || _node.IsDisposed)
        {
            return;
        }

        lock (_gate)
        {
            if (!_judgeAgain && _judgedNodes is { } judged && judged.SequenceEqual(nodes))
            {
                return;
            }

            if (_judgedNodes is null || !_judgedNodes.SequenceEqual(nodes))
            {
                _placedRetries = 0;
            }

            _judgedNodes = nodes;
            _judgeAgain = false;
        }

        var verdicts = new Dictionary<(PlacementGroupStrategy, string), bool>();
        var infeasible = new List<(Guid Id, PlacementGroupSpec Spec)>();
        foreach (var (id, spec) in _ownGroups)
        {
            var key = GroupKey(spec);
            lock (_gate)
            {
                if (_warnedGroups.ContainsKey(key))
                {
                    continue;
                }
            }

            if (!verdicts.TryGetValue(key, out var verdict))
            {
                verdicts[key] = verdict = _groupIsInfeasible(spec, nodes);
            }

            if (verdict)
            {
                infeasible.Add((id, spec));
            }
        }

        if (infeasible.Count == 0)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _confirming, 1, 0) != 0)
        {
            JudgeAgain(); // a confirmation still runs: this one at the next refresh
            return;
        }

        _ = ConfirmAsync(infeasible, nodes);
    }

    /// <summary>Warns about each of <paramref name="infeasible"/> that still waits: listed pending by the node table, or
    /// pending by its own state; forgets the removed ones; judges again at the next refresh when one is still placed.</summary>
    private async Task ConfirmAsync(List<(Guid Id, PlacementGroupSpec Spec)> infeasible, List<(NodeId Id, ResourceSet Total)> nodes)
    {
        try
        {
            var pending = (await _node.GrainFactory.GetGrain<INodeTableGrain>(0).PendingGroupsAsync().ConfigureAwait(false))
                .Select(p => p.Id).ToHashSet();
            foreach (var (id, spec) in infeasible)
            {
                if (pending.Contains(id))
                {
                    WarnGroup(id, spec, nodes);
                    continue;
                }

                var info = await _node.GrainFactory.GetGrain<IPlacementGroupGrain>(id).GetAsync().ConfigureAwait(false);
                if (info is null or { State: PlacementGroupState.Removed })
                {
                    ForgetPlacementGroup(id);
                }
                else if (info.State == PlacementGroupState.Pending)
                {
                    WarnGroup(id, spec, nodes);
                }
                else
                {
                    JudgeAgainWhilePlaced(); // placed, and its round may not have seen the loss yet
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The control store could not be reached (the head restarts, this runtime stops): judged again next refresh.
            LogGroupCheckFailed(_logger, ex.GetType().Name, ex.Message);
            JudgeAgain();
        }
        finally
        {
            Volatile.Write(ref _confirming, 0);
        }
    }

    /// <summary>Judges again at the next refresh, for at most <see cref="PlacedRetries"/> refreshes after the live nodes
    /// changed: a placed group whose bundles' node left is pending within a placement round or two; one that stays placed
    /// is not asked about every refresh.</summary>
    private void JudgeAgainWhilePlaced()
    {
        lock (_gate)
        {
            if (++_placedRetries <= PlacedRetries)
            {
                _judgeAgain = true;
            }
        }
    }

    private void JudgeAgain()
    {
        lock (_gate)
        {
            _judgeAgain = true;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checking whether this runtime's infeasible placement groups still wait failed ({ErrorType}: {Reason}); retrying at the next refresh")]
    private static partial void LogGroupCheckFailed(ILogger logger, string errorType, string reason);
}
