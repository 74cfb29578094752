using OrleansRay.Train.Wire;

namespace OrleansRay.Train;

/// <summary>The coordinator of one attempt of a run (Ray Train's controller; 0 CPUs): the barrier every
/// <see cref="TrainContext.ReportAsync"/> waits in, and the record of completed reports the driver reads.</summary>
/// <remarks>An async actor: the N workers' report calls wait in it together, and its code between awaits runs alone, so
/// its state needs no lock. It holds only small metrics and paths; tensors travel between workers directly. It deletes no
/// checkpoint: the driver does, once it has read the report that makes one obsolete (a coordinator that pruned could
/// delete the folder the driver still names as the latest, and a restart would then resume from nothing).</remarks>
[AsyncActor]
internal sealed class TrainCoordinator
{
    private readonly int _worldSize;
    private readonly Dictionary<int, PendingReport> _pending = new();
    private readonly List<ReportRecord> _completed = new();

    /// <summary>A coordinator for a group of <paramref name="worldSize"/> workers.</summary>
    /// <remarks>It keeps no checkpoints: the driver prunes them once it read the reports that supersede them.</remarks>
    public TrainCoordinator(int worldSize)
    {
        _worldSize = worldSize;
    }

    /// <summary>Records rank <c>report.Rank</c>'s report and waits until every rank made the same report; returns the
    /// group's record of it (rank 0's metrics, the checkpoint).</summary>
    public async Task<ReportRecord> Report(WorkerReport report)
    {
        if (!_pending.TryGetValue(report.Iteration, out var pending))
        {
            pending = new PendingReport();
            _pending[report.Iteration] = pending;
        }

        if (!pending.Ranks.Add(report.Rank))
        {
            throw new InvalidOperationException($"Rank {report.Rank} reported iteration {report.Iteration} twice.");
        }

        if (report.Rank == 0)
        {
            pending.Metrics = report.Metrics;
        }

        pending.Checkpoint ??= report.Checkpoint;
        if (pending.Ranks.Count == _worldSize)
        {
            _pending.Remove(report.Iteration);
            var record = new ReportRecord(report.Iteration, pending.Metrics ?? new Dictionary<string, double>(), pending.Checkpoint);
            _completed.Add(record);

            pending.Done.TrySetResult(record);
        }

        return await pending.Done.Task;
    }

    /// <summary>The completed reports from iteration <paramref name="fromIteration"/> on, and the report that only part
    /// of the group has made (0 and no ranks when none).</summary>
    public CoordinatorState Poll(int fromIteration)
    {
        var reports = _completed.Where(r => r.Iteration >= fromIteration).ToArray();
        if (_pending.Count == 0)
        {
            return new CoordinatorState(reports, 0, Array.Empty<int>());
        }

        var (iteration, waiting) = _pending.OrderBy(p => p.Key).First();
        return new CoordinatorState(reports, iteration, waiting.Ranks.Order().ToArray());
    }

    private sealed class PendingReport
    {
        public HashSet<int> Ranks { get; } = new();

        public Dictionary<string, double>? Metrics { get; set; }

        public string? Checkpoint { get; set; }

        public TaskCompletionSource<ReportRecord> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
