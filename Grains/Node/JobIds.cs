using System.Collections.Concurrent;
using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>The job ids (as <c>list jobs</c> shows them) of the jobs whose work this process runs, by their drivers'
/// worker ids, for <c>RayContext.JobId</c> (Ray's <c>get_job_id</c>): work carries its job's driver, not the job's id,
/// which only the job table (<see cref="IJobTableGrain"/>) and the driver know.</summary>
/// <remarks>One map per process, shared by the node runtimes in it: a driver's worker id is unique across clusters, so
/// what one runtime learned holds for all. Filled by the drivers of this process (<see cref="Remember"/>), by every read
/// of the job table a node makes anyway (<see cref="Learn"/>, once a second while it holds work), and on a miss by one
/// read of the table, which a task's first ask for a job not seen yet waits for. A driver the table has no row for (its
/// start could not reach the table) is asked about again only after <see cref="MissRetry"/>.</remarks>
internal static class JobIds
{
    /// <summary>How long a driver the job table had no row for is answered with null before the table is read again.</summary>
    public static readonly TimeSpan MissRetry = TimeSpan.FromSeconds(10);

    /// <summary>How long the read of the job table made for a miss may take.</summary>
    public static readonly TimeSpan LookupDeadline = TimeSpan.FromSeconds(10);

    /// <summary>At most this many job ids, and as many drivers the table had no row for, are kept (the job table keeps a
    /// bounded number of ended jobs too).</summary>
    private const int MaxKnown = 4096;

    private static readonly ConcurrentDictionary<string, string> Known = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, long> MissedAt = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="driver"/> runs job <paramref name="jobId"/> (the driver's own process).</summary>
    public static void Remember(WorkerId driver, string jobId) => Known[driver.ToString()] = jobId;

    /// <summary>Records the job ids of every row of <paramref name="jobs"/> that names its driver.</summary>
    public static void Learn(IReadOnlyCollection<JobInfo> jobs)
    {
        if (Known.Count > MaxKnown)
        {
            Known.Clear(); // jobs long gone from the table: what is still asked for is read again
        }

        foreach (var job in jobs)
        {
            if (job.Driver.Length > 0)
            {
                Known[job.Driver] = job.JobId;
                MissedAt.TryRemove(job.Driver, out _);
            }
        }
    }

    /// <summary>The id of the job <paramref name="driver"/> runs: known, or read from the job table through
    /// <paramref name="grains"/> now (blocking the caller for up to <see cref="LookupDeadline"/>). Null for an empty
    /// driver (no job's work), for a driver the table has no row for, and when the table did not answer in time.</summary>
    public static string? Of(WorkerId driver, IGrainFactory grains)
    {
        if (driver.IsEmpty)
        {
            return null;
        }

        var key = driver.ToString();
        if (Known.TryGetValue(key, out var known))
        {
            return known;
        }

        if (MissedAt.TryGetValue(key, out var missed) && System.Diagnostics.Stopwatch.GetElapsedTime(missed) < MissRetry)
        {
            return null;
        }

        try
        {
            // Asked from a worker thread, the call is made from the thread pool: this thread blocks on it, and a grain
            // call must not depend on a worker thread that user code blocks (as ActorCreation's name check).
            var table = grains.GetGrain<IJobTableGrain>(0);
            var list = Execution.WorkerPool.IsWorkerThread ? Task.Run(table.ListAsync) : table.ListAsync();
            Learn(list.WaitAsync(LookupDeadline).GetAwaiter().GetResult());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The head is away: no answer now; the next ask after MissRetry tries again.
        }

        if (Known.TryGetValue(key, out known))
        {
            return known;
        }

        if (MissedAt.Count > MaxKnown)
        {
            MissedAt.Clear(); // drivers long gone: one more read each if they are asked about again
        }

        MissedAt[key] = System.Diagnostics.Stopwatch.GetTimestamp();
        return null;
    }
}
