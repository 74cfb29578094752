using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The job table; see <see cref="IJobTableGrain"/>. Bounded: keeps the newest <see cref="MaxJobs"/> rows.</summary>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.jobtable")] // not Orleans' default "jobtable": an application grain class of that name would clash (hosting)
internal sealed partial class JobTableGrain : Grain, IJobTableGrain
{
    /// <summary>Finished jobs beyond this many are forgotten, oldest first (the head must not grow without bound).</summary>
    public const int MaxJobs = 1000;

    private readonly PersistedRows<Dictionary<string, JobInfo>> _stored;
    private Dictionary<string, JobInfo> _jobs = new(StringComparer.Ordinal);

    /// <summary>The node table's drivers-last-seen, as last read, and when (<see cref="Environment.TickCount64"/>): every
    /// node with work lists the jobs once a second and every live non-detached placement group asks whether its job
    /// ended once a second, so one read serves them all for <see cref="SeenReuse"/> (against the 15 s of
    /// <see cref="DriverSilence.DriverLost"/>, a second-old view changes nothing).</summary>
    private (IReadOnlyDictionary<string, DateTimeOffset> Drivers, long ReadAt)? _seen;

    private static readonly TimeSpan SeenReuse = TimeSpan.FromSeconds(1);

    /// <summary>How often the table notes that it runs (<see cref="DriverSilence.NoteAwake"/>).</summary>
    private static readonly TimeSpan AwakePeriod = TimeSpan.FromSeconds(1);

    /// <summary>Which drivers' silence means their jobs are lost (not the head's own stalls).</summary>
    private readonly DriverSilence _silence = new(Environment.TickCount64, DateTimeOffset.UtcNow);

    public JobTableGrain(
        [PersistentState("jobs", ControlStoreStorage.Name)] IPersistentState<SerializedRows> state,
        Serializer serializer,
        ILogger<JobTableGrain> logger)
    {
        _stored = new PersistedRows<Dictionary<string, JobInfo>>(state, serializer, logger, "job table");
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_stored.Load() is { } rows)
        {
            _jobs = new Dictionary<string, JobInfo>(rows, StringComparer.Ordinal);
        }

        this.RegisterGrainTimer(static self => { self.NoteAwake(); return Task.CompletedTask; }, this, new GrainTimerCreationOptions(AwakePeriod, AwakePeriod) { KeepAlive = true });
        return Task.CompletedTask;
    }

    /// <summary>Notes that the table runs now (a reviewer's head paused 20 s ended every connected driver's job as it
    /// resumed: the drivers' silence was the head's).</summary>
    private void NoteAwake() => _silence.NoteAwake(Environment.TickCount64, DateTimeOffset.UtcNow);

    public async Task StartAsync(JobInfo job)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(job.JobId);
        if (_jobs.TryGetValue(job.JobId, out var known))
        {
            // A submitted job's row gets its driver when the driver connects; the submit time stays.
            job = job with { StartedAt = known.StartedAt, Entrypoint = string.IsNullOrEmpty(known.Entrypoint) ? job.Entrypoint : known.Entrypoint, Submitted = known.Submitted || job.Submitted };
        }

        if (IsWatched(job))
        {
            _silence.NoteAttached(job.Driver, DateTimeOffset.UtcNow);
        }

        _jobs[job.JobId] = job;
        Trim();
        await WriteAsync();
    }

    public async Task EndAsync(string jobId, JobState state, string? message)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.EndedAt is null)
        {
            _jobs[jobId] = job with { State = state, EndedAt = DateTimeOffset.UtcNow, Message = message ?? job.Message };
            _silence.Forget(job.Driver);
            await WriteAsync();
        }
    }

    public async Task<IReadOnlyList<JobInfo>> ListAsync()
    {
        await MarkLostAsync(_jobs.Values.Where(IsWatched).ToList());
        return _jobs.Values.OrderByDescending(j => j.StartedAt).ToList();
    }

    public async Task<bool> HasEndedAsync(string driver)
    {
        if (string.IsNullOrEmpty(driver) || LatestOf(driver) is not { } job)
        {
            return false;
        }

        if (IsWatched(job))
        {
            await MarkLostAsync([job]);
            job = _jobs[job.JobId];
        }

        return HasEnded(job);
    }

    public async Task<string[]> RunningAsync(string[] drivers) =>
        [.. (await NewestOfAsync(drivers)).Where(j => !HasEnded(j)).Select(j => j.Driver)];

    public async Task<string[]> EndedAsync(string[] drivers) =>
        [.. (await NewestOfAsync(drivers)).Where(HasEnded).Select(j => j.Driver)];

    /// <summary>The newest row of each of <paramref name="drivers"/> that has one, after marking lost the drivers that
    /// stopped reporting.</summary>
    private async Task<List<JobInfo>> NewestOfAsync(string[] drivers)
    {
        ArgumentNullException.ThrowIfNull(drivers);
        var wanted = drivers.Where(d => !string.IsNullOrEmpty(d)).ToHashSet(StringComparer.Ordinal);
        var jobs = _jobs.Values.Where(j => wanted.Contains(j.Driver)).GroupBy(j => j.Driver, StringComparer.Ordinal).Select(g => g.MaxBy(j => j.StartedAt)!).ToList();
        await MarkLostAsync(jobs.Where(IsWatched).ToList());
        return [.. jobs.Select(j => _jobs[j.JobId])];
    }

    /// <summary>The newest row of <paramref name="driver"/>'s job, or null.</summary>
    private JobInfo? LatestOf(string driver) =>
        _jobs.Values.Where(j => string.Equals(j.Driver, driver, StringComparison.Ordinal)).MaxBy(j => j.StartedAt);

    private static bool HasEnded(JobInfo job) => job.State is JobState.Succeeded or JobState.Failed or JobState.Stopped;

    public Task<INodeEndpoint?> LogSinkAsync(string driver) =>
        Task.FromResult(_jobs.Values.Where(j => string.Equals(j.Driver, driver, StringComparison.Ordinal)).MaxBy(j => j.StartedAt) is
            { State: JobState.Running, Embedded: false, LogToDriver: true, Endpoint: { } endpoint } ? endpoint : null);

    /// <summary>A running job of a connected driver: it is lost when its driver stops reporting.</summary>
    private static bool IsWatched(JobInfo job) => job.State == JobState.Running && !string.IsNullOrEmpty(job.Driver) && !job.Embedded;

    /// <summary>Marks failed each of <paramref name="running"/> whose driver the node table has not seen for
    /// <see cref="DriverSilence.DriverLost"/>.</summary>
    private async Task MarkLostAsync(List<JobInfo> running)
    {
        NoteAwake(); // a call that comes first after the head stood still must not see the drivers' silence as theirs
        if (running.Count == 0)
        {
            return;
        }

        if (_seen is not { } cached || Environment.TickCount64 - cached.ReadAt > (long)SeenReuse.TotalMilliseconds)
        {
            cached = (await GrainFactory.GetGrain<INodeTableGrain>(0).DriversSeenAsync(), Environment.TickCount64);
            _seen = cached;
        }

        var seen = cached.Drivers;
        var now = DateTimeOffset.UtcNow;
        var changed = false;
        foreach (var job in running)
        {
            var heard = _silence.LastHeard(job.Driver, seen.TryGetValue(job.Driver, out var at) ? at : null, job.StartedAt);
            if (_silence.IsLost(heard, now) && _jobs.TryGetValue(job.JobId, out var current) && IsWatched(current))
            {
                _jobs[job.JobId] = current with { State = JobState.Failed, EndedAt = heard, Message = "the driver stopped reporting without ending the job (it exited or was killed, or the node it connected through died)" };
                _silence.Forget(job.Driver);
                changed = true;
            }
        }

        if (changed)
        {
            await WriteAsync();
        }
    }

    private void Trim()
    {
        if (_jobs.Count <= MaxJobs)
        {
            return;
        }

        foreach (var old in _jobs.Values.Where(j => j.EndedAt is not null).OrderBy(j => j.StartedAt).Take(_jobs.Count - MaxJobs).ToList())
        {
            _jobs.Remove(old.JobId);
            _silence.Forget(old.Driver);
        }
    }

    private Task WriteAsync() => _stored.SaveAsync(new Dictionary<string, JobInfo>(_jobs, StringComparer.Ordinal));
}
