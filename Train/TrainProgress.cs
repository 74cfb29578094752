using System.Globalization;
using System.Text;

namespace OrleansRay.Train;

/// <summary>One event of a running training run, as <see cref="RunConfig.Progress"/> receives it.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Attempt">The attempt it belongs to, numbered from 0 as <see cref="TrainContext.Attempt"/> is: 0 for the
/// first, one more after each restart. A <see cref="TrainProgressKind.Restarting"/> event belongs to the attempt that
/// failed (its message names the next one: "Attempt 0 failed: ...; restarting the worker group as attempt 1").</param>
/// <param name="Message">A line a person reads (what <see cref="RunConfig.Verbose"/> prints).</param>
/// <param name="Iteration">For <see cref="TrainProgressKind.Reported"/>: the report's number in the run, from 1 (Ray's
/// <c>training_iteration</c>); else null.</param>
/// <param name="Metrics">For <see cref="TrainProgressKind.Reported"/>: rank 0's metrics; else null.</param>
/// <param name="IsInfeasible">For <see cref="TrainProgressKind.PlacementPending"/>: true when the live nodes can never
/// hold the workers' bundles (a bundle larger than every node, or more in total than the cluster has), so the run waits
/// until nodes join; false when they only wait for resources to free up.</param>
/// <param name="WorkerNodes">For <see cref="TrainProgressKind.WorkersStarted"/>: the id of the node running each rank,
/// indexed by world rank; else null.</param>
public sealed record TrainProgress(
    TrainProgressKind Kind,
    int Attempt,
    string Message,
    int? Iteration = null,
    IReadOnlyDictionary<string, double>? Metrics = null,
    bool IsInfeasible = false,
    IReadOnlyList<string>? WorkerNodes = null)
{
    /// <summary>The members as a record prints them, with <see cref="Metrics"/> and <see cref="WorkerNodes"/> spelled out
    /// (<c>Metrics = {loss: 0.12, epoch: 2}</c>, <c>WorkerNodes = [node-a, node-b]</c>) rather than as their type names;
    /// numbers in the invariant culture, metrics in the order they were reported, a member that is null as <c>null</c>.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Kind = {Kind}, Attempt = {Attempt}, Message = {Message}, Iteration = ");
        builder.Append(Iteration is { } iteration ? iteration.ToString(CultureInfo.InvariantCulture) : "null");
        builder.Append(", Metrics = ");
        builder.Append(Metrics is null ? "null" : "{" + string.Join(", ", Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}: {m.Value}"))) + "}");
        builder.Append(CultureInfo.InvariantCulture, $", IsInfeasible = {IsInfeasible}, WorkerNodes = ");
        builder.Append(WorkerNodes is null ? "null" : "[" + string.Join(", ", WorkerNodes) + "]");
        return true;
    }
}
