using OrleansRay.Train.Wire;

namespace OrleansRay.Train;

/// <summary>What the driver knows of a run across its attempts: the reports so far and the checkpoints kept.</summary>
internal sealed class RunState
{
    private readonly int? _numToKeep;

    public RunState(string name, string path, int? numToKeep)
    {
        Name = name;
        Path = path;
        _numToKeep = numToKeep;
    }

    public string Name { get; }

    public string Path { get; }

    public List<ReportRecord> History { get; } = new();

    /// <summary>The persisted checkpoints not pruned, oldest first, with their report.</summary>
    public List<ReportRecord> Kept { get; } = new();

    public string? LatestCheckpoint => Kept.Count == 0 ? null : Kept[^1].Checkpoint;

    /// <summary>How many of <see cref="History"/>'s reports are in the run's log (<see cref="RunLog"/>).</summary>
    public int Logged { get; set; }

    /// <summary>Takes the reports an earlier run of this name logged (<see cref="RunLog.Open"/>) as this run's first:
    /// its history, and as kept checkpoints all of theirs whose folders still exist. None is dropped for this run's
    /// <c>NumToKeep</c> until this run's first checkpoint completes (<see cref="Add"/>): a run that never gets that far
    /// (cancelled while it waits for its placement group) leaves the earlier run's checkpoints as they were.</summary>
    /// <param name="reports">Iterations 1, 2, ... in order.</param>
    public void Resume(IReadOnlyList<ReportRecord> reports)
    {
        History.AddRange(reports);
        Kept.AddRange(reports.Where(r => r.Checkpoint is not null && Directory.Exists(r.Checkpoint)));
        Logged = History.Count;
    }

    /// <summary>Adds reports read from the coordinator (ignoring ones already known) and returns the new ones.</summary>
    /// <param name="reports">Completed reports, in any order.</param>
    /// <param name="dropped">The checkpoint folders that left <see cref="Kept"/> (past <c>NumToKeep</c>): the caller
    /// deletes them. Only the driver prunes, and only after it knows a newer checkpoint completed, so
    /// <see cref="LatestCheckpoint"/> always names a folder that exists.</param>
    public IReadOnlyList<ReportRecord> Add(IEnumerable<ReportRecord> reports, out IReadOnlyList<string> dropped)
    {
        var added = new List<ReportRecord>();
        var droppedPaths = new List<string>();
        foreach (var report in reports.OrderBy(r => r.Iteration))
        {
            if (report.Iteration <= History.Count)
            {
                continue;
            }

            History.Add(report);
            added.Add(report);
            if (report.Checkpoint is not null)
            {
                Kept.RemoveAll(k => k.Checkpoint == report.Checkpoint);
                Kept.Add(report);
                while (_numToKeep is { } keep && Kept.Count > keep)
                {
                    droppedPaths.Add(Kept[0].Checkpoint!);
                    Kept.RemoveAt(0);
                }
            }
        }

        dropped = droppedPaths;
        return added;
    }

    /// <summary>rank 0's metrics of a report, with Ray's "training_iteration".</summary>
    public static IReadOnlyDictionary<string, double> MetricsOf(ReportRecord report) =>
        new Dictionary<string, double>(report.Metrics, StringComparer.Ordinal) { ["training_iteration"] = report.Iteration };
}
