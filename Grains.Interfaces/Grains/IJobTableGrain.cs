namespace OrleansRay.Grains;

/// <summary>The control store's job table (key 0): one row per driver (a job), as in Ray. Drivers add their row when
/// they start and close it when they end; a driver that vanished is marked failed.</summary>
[Alias("orleansray.IJobTableGrain")]
public interface IJobTableGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or refreshes a job's row (a driver started, or `orleansray job submit` launched one).</summary>
    [Alias("Start")]
    Task StartAsync(JobInfo job);

    /// <summary>Closes a job's row.</summary>
    [Alias("End")]
    Task EndAsync(string jobId, JobState state, string? message);

    /// <summary>Every job, newest first.</summary>
    [Alias("List")]
    Task<IReadOnlyList<JobInfo>> ListAsync();

    /// <summary>True when the job whose driver has worker id <paramref name="driver"/> (<see cref="JobInfo.Driver"/>)
    /// ended: its row is closed, or its connected driver stopped reporting (as <see cref="ListAsync"/> marks it failed).
    /// False while it runs, and when no row has that driver (a job the table never heard of, or forgot).</summary>
    [Alias("HasEnded")]
    Task<bool> HasEndedAsync(string driver);

    /// <summary>Which of <paramref name="drivers"/> (driver worker ids) have a job that has not ended, by the check of
    /// <see cref="HasEndedAsync"/>; a driver with no row (never added, or forgotten as one of the oldest ended jobs) is
    /// left out. One call for many drivers: the code package references ask it for every referencing job at once.</summary>
    [Alias("Running")]
    Task<string[]> RunningAsync(string[] drivers);

    /// <summary>Which of <paramref name="drivers"/> have a job the table lists as ended (succeeded, failed, stopped, or
    /// lost: by the check of <see cref="HasEndedAsync"/>); a driver with no row is left out, as by
    /// <see cref="RunningAsync"/>.</summary>
    [Alias("Ended")]
    Task<string[]> EndedAsync(string[] drivers);

    /// <summary>Where nodes send the output of the job whose driver has worker id <paramref name="driver"/> (Ray's
    /// <c>log_to_driver</c>): its connected driver's endpoint while the job runs, if the driver asked for its tasks'
    /// output (<see cref="JobInfo.LogToDriver"/>); null otherwise (an embedded driver's tasks print in its own process).</summary>
    [Alias("LogSink")]
    Task<INodeEndpoint?> LogSinkAsync(string driver);
}

/// <summary>A job's row.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.jobinfo")]
public sealed record JobInfo
{
    [Id(0)] public string JobId { get; init; } = string.Empty;
    /// <summary>The driver's worker id (empty for a submitted job whose driver has not connected yet).</summary>
    [Id(1)] public string Driver { get; init; } = string.Empty;
    [Id(2)] public string Host { get; init; } = string.Empty;
    [Id(3)] public int Pid { get; init; }
    /// <summary>What runs: the driver's command line.</summary>
    [Id(4)] public string Entrypoint { get; init; } = string.Empty;
    [Id(5)] public string Namespace { get; init; } = "default";
    [Id(6)] public DateTimeOffset StartedAt { get; init; }
    [Id(7)] public DateTimeOffset? EndedAt { get; init; }
    [Id(8)] public JobState State { get; init; }
    [Id(9)] public string? Message { get; init; }
    /// <summary>Embedded (the driver runs the node) or connected.</summary>
    [Id(10)] public bool Embedded { get; init; }
    /// <summary>The job's code package (lowercase hex SHA-256 of its manifest), empty when it ships none (an embedded
    /// driver). Nodes keep a package loaded while a running job uses it.</summary>
    [Id(11)] public string Code { get; init; } = string.Empty;
    /// <summary>A connected driver's endpoint: the state API asks it (as it asks nodes) for the tasks it holds and the
    /// objects it owns while the job runs. Null for embedded drivers (their node answers) and submitted jobs not yet connected.</summary>
    [Id(12)] public INodeEndpoint? Endpoint { get; init; }
    /// <summary>The connected driver prints the output of its job's tasks and actor calls (<c>RayOptions.LogToDriver</c>,
    /// Ray's <c>log_to_driver</c>): nodes send it the lines written on them (<see cref="INodeEndpoint.PrintTaskOutputAsync"/>).</summary>
    [Id(13)] public bool LogToDriver { get; init; }
    /// <summary>Submitted with <c>orleansray job submit</c> (its supervisor made the row; the driver's own row keeps
    /// it): its output is in a job log on the machine it was submitted to, not in a console.</summary>
    [Id(14)] public bool Submitted { get; init; }
}

/// <summary>Ray's job states.</summary>
public enum JobState
{
    Pending = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Stopped = 4,
}
