using System.Globalization;

namespace OrleansRay.Train;

/// <summary>Waits for the run's placement group, reporting what it waits for while it is pending.</summary>
internal static class PlacementWait
{
    /// <summary>How long a pending group waits between two reports of what it waits for.</summary>
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(5);

    /// <summary>How long a group may take to place before the first report: placing takes milliseconds when it fits.</summary>
    private static readonly TimeSpan FirstReportAfter = TimeSpan.FromSeconds(1);

    /// <summary>How often a group whose bundles are not all on live nodes yet is looked at again.</summary>
    private static readonly TimeSpan LiveBundlesPoll = TimeSpan.FromMilliseconds(200);

    public static async Task WaitAsync(IRay ray, PlacementGroup group, ScalingConfig scaling, int attempt, Action<TrainProgress> progress, CancellationToken cancellationToken)
    {
        if (!await group.WaitAsync(FirstReportAfter, cancellationToken).ConfigureAwait(false))
        {
            while (true)
            {
                var (message, infeasible) = await DescribeAsync(ray, scaling).ConfigureAwait(false);
                progress(new TrainProgress(TrainProgressKind.PlacementPending, attempt, message, IsInfeasible: infeasible));
                if (await group.WaitAsync(ReportEvery, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }

        if (attempt > 0)
        {
            await WaitForLiveBundlesAsync(ray, group, scaling, attempt, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After a node died the group may still say CREATED with a bundle on that node until the cluster notices
    /// and reserves the bundle again elsewhere (RESCHEDULING, then CREATED). A worker created meanwhile would be sent to
    /// the dead node's bundle and wait for good, so a restart waits until every bundle is on a live node, reporting
    /// what it waits for every <see cref="ReportEvery"/> (infeasible, as <see cref="DescribeAsync"/> judges it, when the
    /// live nodes can never hold the group), and refreshes the handle's view of the bundles' nodes.</summary>
    private static async Task WaitForLiveBundlesAsync(IRay ray, PlacementGroup group, ScalingConfig scaling, int attempt, Action<TrainProgress> progress, CancellationToken cancellationToken)
    {
        var filter = StateListOptions.Where($"placement_group_id={group.Id:N}");
        var nextReport = DateTime.UtcNow + ReportEvery;
        while (true)
        {
            var alive = (await ray.NodesAsync().ConfigureAwait(false)).Where(n => n.IsAlive).Select(n => n.Id.Value).ToHashSet(StringComparer.Ordinal);
            var row = (await ray.State.ListPlacementGroupsAsync(filter, cancellationToken).ConfigureAwait(false)).Rows.FirstOrDefault();
            if (row is { State: "CREATED" } && row.BundleNodes.All(alive.Contains))
            {
                await group.GetStateAsync().ConfigureAwait(false); // the handle now knows the bundles' live nodes
                return;
            }

            if (DateTime.UtcNow >= nextReport)
            {
                var where = row is null ? "not listed yet" : $"{row.State}, bundles on {string.Join(", ", row.BundleNodes.Select(n => n.Length == 0 ? "(none)" : alive.Contains(n) ? n : n + " (dead)"))}";
                var (message, infeasible) = await DescribeAsync(ray, scaling).ConfigureAwait(false);
                var why = infeasible
                    ? message
                    : "The live nodes can hold them: a bundle of a node that died is reserved again once the cluster has declared that node dead.";
                progress(new TrainProgress(TrainProgressKind.PlacementPending, attempt, $"The placement group's bundles are being reserved again on live nodes ({where}). {why}", IsInfeasible: infeasible));
                nextReport = DateTime.UtcNow + ReportEvery;
            }

            await Task.Delay(LiveBundlesPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>"waiting for 5 worker bundles of {CPU: 1} (PACK): ..." and whether the live nodes can ever hold them.</summary>
    internal static async Task<(string Message, bool Infeasible)> DescribeAsync(IRay ray, ScalingConfig scaling)
    {
        var bundle = scaling.WorkerBundle();
        var nodes = (await ray.NodesAsync().ConfigureAwait(false)).Where(n => n.IsAlive).ToList();
        var need = bundle.ToDictionary(r => r.Key, r => r.Value * scaling.NumWorkers, StringComparer.Ordinal);
        var total = bundle.Keys.ToDictionary(k => k, k => nodes.Sum(n => n.Resources.GetValueOrDefault(k)), StringComparer.Ordinal);
        var fitsOneNode = nodes.Any(n => bundle.All(r => n.Resources.GetValueOrDefault(r.Key) >= r.Value));
        var strictOneNode = scaling.PlacementStrategy == PlacementStrategy.StrictPack
            && !nodes.Any(n => need.All(r => n.Resources.GetValueOrDefault(r.Key) >= r.Value));
        var strictSpread = scaling.PlacementStrategy == PlacementStrategy.StrictSpread && nodes.Count(n => bundle.All(r => n.Resources.GetValueOrDefault(r.Key) >= r.Value)) < scaling.NumWorkers;
        var shortOf = need.Where(r => total[r.Key] < r.Value).ToList();
        var infeasible = !fitsOneNode || shortOf.Count > 0 || strictOneNode || strictSpread;
        var why = !fitsOneNode ? $"no live node has {Shape(bundle)} for one worker"
            : shortOf.Count > 0 ? $"the workers need {Shape(need)} in total and the {nodes.Count} live node(s) have {Shape(total)}"
            : strictOneNode ? $"STRICT_PACK needs {Shape(need)} on one node and no live node has it"
            : strictSpread ? $"STRICT_SPREAD needs {scaling.NumWorkers} nodes of {Shape(bundle)} and fewer live nodes have it"
            : "the resources are in use by other work";
        var message = $"Waiting for the placement group of {scaling.NumWorkers} worker bundle(s) of {Shape(bundle)} ({scaling.PlacementStrategy}): {why}; " +
            (infeasible ? "infeasible until nodes with more resources join." : "it starts when they free up.");
        return (message, infeasible);
    }

    private static string Shape(IReadOnlyDictionary<string, double> resources) =>
        "{" + string.Join(", ", resources.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key}: {r.Value:0.###}"))) + "}";
}
