using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>The <c>job_id</c> column of tasks and actors (Ray's <c>ray list tasks --filter "job_id=..."</c>), and the
/// <c>creator_job_id</c> of placement groups. Nodes know a task's or actor's job by its driver's worker id
/// (<see cref="Scheduling.TaskSpec.JobDriver"/>), a group knows its job so too (<see cref="PlacementGroupSpec.Job"/>), the job table knows
/// a job by its id and its driver: this maps one to the other, so a filter names a job as <c>list jobs</c> shows it and
/// a row shows it so too.</summary>
internal sealed class JobColumn
{
    private const string Key = "job_id";

    private readonly Dictionary<string, string> _jobByDriver;
    private readonly Dictionary<string, string> _driverByJob;

    private JobColumn(IReadOnlyList<JobInfo> jobs, IReadOnlyList<string> warnings)
    {
        var withDriver = jobs.Where(j => j.Driver.Length > 0).ToList();
        _jobByDriver = withDriver.GroupBy(j => j.Driver, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().JobId, StringComparer.Ordinal);
        _driverByJob = withDriver.GroupBy(j => j.JobId, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Driver, StringComparer.OrdinalIgnoreCase);
        Warnings = warnings;
    }

    /// <summary>Empty, or one line when the job table did not answer (rows then show no job, a job filter matches none).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Reads the job table; a table that does not answer within <paramref name="deadline"/> is a warning.</summary>
    public static async Task<JobColumn> ReadAsync(IGrainFactory grains, TimeSpan deadline, CancellationToken cancellationToken)
    {
        try
        {
            var jobs = await grains.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(deadline, cancellationToken).ConfigureAwait(false);
            return new JobColumn(jobs, []);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            return new JobColumn([], [$"the job table did not answer ({ex.GetType().Name}): rows show no job_id"]);
        }
    }

    /// <summary>The filters as nodes apply them: a <c>job_id</c> value replaced by its job's driver. A job the table does
    /// not know keeps its id, which no row carries: <c>=</c> matches nothing, <c>!=</c> everything.</summary>
    public StateFilter[] ForNodes(IEnumerable<StateFilter> filters) =>
        filters.Select(f => string.Equals(f.Key, Key, StringComparison.OrdinalIgnoreCase) && _driverByJob.TryGetValue(f.Value, out var driver)
            ? f with { Value = driver }
            : f).ToArray();

    /// <summary>The job id of a row's driver as a node sent it; empty when the table lists no job of that driver.</summary>
    public string JobOf(string driver) => driver.Length > 0 && _jobByDriver.TryGetValue(driver, out var job) ? job : string.Empty;
}
