using System.Diagnostics;
using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Hosting;

using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Cli;

/// <summary>Runs a submitted job: the supervisor is a background <c>orleansray job supervise</c> process that starts the
/// job's command, adds its row to the job table, waits for it to exit, and records how it ended (its exit code), so the
/// job table is right whether or not anybody waits for the job.</summary>
/// <remarks>
/// Like Ray's job supervisor, one per job. It holds no cluster connection while the job runs: it connects to add the
/// row, and again to close it. The command starts held (a shell waiting for one line on its stdin) so its row is in the
/// table, with its pid, before it runs: a driver that connects at once finds its row and fills in its driver id.
/// </remarks>
internal static partial class JobSupervisor
{
    /// <summary>How long a job may take to start: the supervisor starts (~0.3 s), connects (~0.5 s) and adds the row.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    /// <summary>A job-table call answers in milliseconds; one that takes longer than this has lost the head.</summary>
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(15);

    /// <summary>Starts the supervisor of job <paramref name="jobId"/> (its file written already) in the background, in
    /// a session of its own (out of reach of the terminal's Ctrl+C), output to <paramref name="supervisorLog"/>.</summary>
    /// <remarks>The supervisor and the job's driver get the token in <c>$ORLEANSRAY_AUTH_TOKEN</c> (the job's driver finds it
    /// there as a driver does); with <paramref name="credentials"/> null (--insecure) the variable is removed and
    /// <c>$ORLEANSRAY_INSECURE</c> is true instead, so the job's driver connects without a token as well.</remarks>
    public static Process Launch(CliPaths paths, string jobId, string supervisorLog, ClusterCredentials? credentials)
    {
        var (program, prefix) = NodeLauncher.Self();
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");
        start.ArgumentList.Add("orleansray-job-supervisor");
        start.ArgumentList.Add(supervisorLog);
        start.ArgumentList.Add(program);
        foreach (var argument in prefix.Concat(["job", "supervise", "--job-id", jobId]))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[CliPaths.TempDirVariable] = paths.Root;
        if (credentials is not null)
        {
            start.Environment[ClusterCredentials.TokenVariable] = credentials.Token;
            start.Environment.Remove(ConnectedCluster.InsecureVariable);
        }
        else
        {
            // The job's driver (started by the supervisor, with its variables) connects without a token too.
            start.Environment.Remove(ClusterCredentials.TokenVariable);
            start.Environment[ConnectedCluster.InsecureVariable] = "true";
        }

        return Process.Start(start) ?? throw new CliException("could not start the job's supervisor process.");
    }

    /// <summary>Waits until the supervisor started the job (its file names the pid) or says why it could not.</summary>
    public static async Task<JobRecord> WaitStartedAsync(string jobFile, Process supervisor, string supervisorLog, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartDeadline;
        while (true)
        {
            var record = JobRecord.TryRead(jobFile);
            if (record is { Pid: > 0 })
            {
                return record;
            }

            if (record?.Error is { } error)
            {
                throw new CliException(error, record.ErrorExitCode ?? CliException.FailureExitCode);
            }

            if (supervisor.HasExited)
            {
                throw new CliException($"the job's supervisor exited with code {supervisor.ExitCode.ToString(CultureInfo.InvariantCulture)} before the job started; see {supervisorLog}");
            }

            if (DateTime.UtcNow > deadline)
            {
                supervisor.Kill(entireProcessTree: true);
                throw new CliException($"the job did not start within {StartDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s and was abandoned; see {supervisorLog}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The supervisor's work (<c>job supervise</c>): start the job, add its row, wait, record its end.</summary>
    /// <returns>0 once the end is recorded; the exit code of a failure before the job ran.</returns>
    public static async Task<int> RunAsync(string jobFile, JobRecord record, CancellationToken cancellationToken)
    {
        Process child;
        try
        {
            await using var cluster = await ClusterClient.ConnectAsync("--address", record.Address, ClusterCredentials.FromEnvironment, cancellationToken).ConfigureAwait(false);
            var table = cluster.Client.GetGrain<IJobTableGrain>(0);
            var jobs = await table.ListAsync().WaitAsync(CallDeadline, cancellationToken).ConfigureAwait(false);
            if (jobs.FirstOrDefault(j => j.JobId == record.JobId) is { } taken)
            {
                throw CliException.Usage($"--job-id {record.JobId}: the job table already has that job ({taken.State.ToString().ToUpperInvariant()}, started {taken.StartedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}); choose another id.");
            }

            child = StartHeld(record);
            try
            {
                await table.StartAsync(new JobInfo
                {
                    JobId = record.JobId,
                    Host = Environment.MachineName,
                    Pid = child.Id,
                    Entrypoint = record.CommandLine,
                    StartedAt = record.SubmittedAt,
                    State = JobState.Running,
                    Message = "submitted with orleansray job submit",
                    Submitted = true,
                }).WaitAsync(CallDeadline, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Closing its stdin without the line makes the held shell exit without running the command.
                child.StandardInput.Close();
                child.Dispose();
                throw;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var exitCode = ex is CliException cli ? cli.ExitCode : CliException.FailureExitCode;
            var message = ex is CliException ? ex.Message : $"the job could not be added to the job table at {record.Address}: {ex.GetBaseException().Message}";
            (record with { Error = message, ErrorExitCode = exitCode, EndedAt = DateTimeOffset.UtcNow, State = "FAILED" }).Write(jobFile);
            await Console.Error.WriteLineAsync("error: " + message).ConfigureAwait(false);
            return exitCode;
        }

        using (child)
        {
            record = record with { Pid = child.Id, ProcessStart = child.StartTime.ToUniversalTime() };
            record.Write(jobFile);
            await child.StandardInput.WriteLineAsync("run").ConfigureAwait(false);
            child.StandardInput.Close();
            // The job runs as long as it runs: nothing here cancels it (`job stop` signals its process group).
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            record = record with { ExitCode = child.ExitCode, EndedAt = DateTimeOffset.UtcNow };
            // Before the row ends: whoever sees the job ended in the table finds its exit code in the file.
            record.Write(jobFile);
        }

        record = await RecordEndAsync(record, cancellationToken).ConfigureAwait(false);
        record.Write(jobFile);
        await Console.Out.WriteLineAsync($"Job {record.JobId} ended: {record.State} (exit code {record.ExitCode?.ToString(CultureInfo.InvariantCulture)}).").ConfigureAwait(false);
        // A job leaves nothing behind: what its command started in its process group and left running (a `cmd &`,
        // the MSBuild nodes and compiler server of a `dotnet run`) ends with it.
        var leftovers = await NodeProcesses.StopLeftoversAsync(record.Pid, JobRunner.StopDeadline).ConfigureAwait(false);
        if (leftovers != LeftoverStop.NoneLeft)
        {
            await Console.Out.WriteLineAsync(leftovers == LeftoverStop.Killed
                ? $"Job {record.JobId}: processes it left in its process group {record.Pid.ToString(CultureInfo.InvariantCulture)} got SIGKILL after {JobRunner.StopDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s."
                : $"Job {record.JobId}: processes it left in its process group {record.Pid.ToString(CultureInfo.InvariantCulture)} were stopped (SIGTERM).").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The most a job's failure message quotes of its crash line.</summary>
    private const int CrashLineLength = 400;

    /// <summary>What a failed job's message adds to its exit code, from the last 64 KiB of its log: the line .NET printed
    /// for the exception that ended the process (": Unhandled exception. System.InvalidOperationException: ..."), else
    /// the first compiler or MSBuild error of a build that failed (": ... error CS0029: ..."; a `dotnet run` job that
    /// does not compile), else its log's last line ("; last line of its log: ..."); null when the log is empty or
    /// unreadable. Ray's failed job message quotes its last logs the same way.</summary>
    internal static string? FailureLine(string logFile)
    {
        try
        {
            using var log = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            log.Seek(Math.Max(0, log.Length - (64 * 1024)), SeekOrigin.Begin);
            using var reader = new StreamReader(log);
            string? crash = null, buildError = null, last = null;
            for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                // Its own line, or the end of one the driver left without a newline.
                if (line.IndexOf("Unhandled exception. ", StringComparison.Ordinal) is var at and >= 0)
                {
                    crash = line[at..].Trim();
                }
                else if (buildError is null && BuildError().IsMatch(line))
                {
                    buildError = line.Trim();
                }

                if (!string.IsNullOrWhiteSpace(line))
                {
                    last = line.Trim();
                }
            }

            return (crash ?? buildError) is { } cause ? ": " + Shorten(cause)
                : last is not null ? "; last line of its log: " + Shorten(last)
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // no log to read: the exit code says what is known
        }

        static string Shorten(string line) => line.Length <= CrashLineLength ? line : line[..CrashLineLength] + "…";
    }

    /// <summary>A compiler's or MSBuild's error line: "Program.cs(3,9): error CS0029: ...", "error MSB1009: ...".</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(^|[\s:])error [A-Z]{2,}[0-9]{3,5}:")]
    private static partial System.Text.RegularExpressions.Regex BuildError();

    /// <summary>Closes the job's row by its exit code: 0 is SUCCEEDED, anything else FAILED; a job stopped with
    /// <c>job stop</c> stays STOPPED. A driver closes its own row when it is disposed (SUCCEEDED) or is marked failed
    /// when it vanishes; the exit code has the last word, so a driver that closed its row and then exited with an
    /// error shows FAILED.</summary>
    private static async Task<JobRecord> RecordEndAsync(JobRecord record, CancellationToken cancellationToken)
    {
        var exitCode = record.ExitCode ?? -1;
        var verdict = exitCode == 0 ? JobState.Succeeded : JobState.Failed;
        var message = "exit code " + exitCode.ToString(CultureInfo.InvariantCulture)
            + (exitCode != 0 && FailureLine(record.LogFile) is { } cause ? cause : string.Empty);
        try
        {
            await using var cluster = await ClusterClient.ConnectAsync("--address", record.Address, ClusterCredentials.FromEnvironment, cancellationToken).ConfigureAwait(false);
            var table = cluster.Client.GetGrain<IJobTableGrain>(0);
            var row = (await table.ListAsync().WaitAsync(CallDeadline, cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.JobId == record.JobId);
            var state = verdict;
            if (row is { State: JobState.Stopped })
            {
                state = JobState.Stopped;
            }
            else if (row is { EndedAt: null })
            {
                await table.EndAsync(record.JobId, verdict, message).WaitAsync(CallDeadline, cancellationToken).ConfigureAwait(false);
            }
            else if (row is not null && (row.State != verdict || row.Message is null))
            {
                // EndAsync leaves an ended row alone; StartAsync replaces it (keeping its start time and entrypoint).
                await table.StartAsync(row with { State = verdict, Message = message }).WaitAsync(CallDeadline, cancellationToken).ConfigureAwait(false);
            }

            return record with { State = state.ToString().ToUpperInvariant() };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            // The head is gone (stopped, or died): the job's file still says how it ended; the table forgets it anyway
            // when a head without --storage stops.
            return record with
            {
                State = verdict.ToString().ToUpperInvariant(),
                Error = $"the job ended ({message}) but the job table could not be told: {ex.GetBaseException().Message}",
            };
        }
    }

    /// <summary>Starts the job's command held: a shell that waits for a line on its stdin, then becomes the command
    /// (same pid) in a session and process group of its own, output appended to the job's log, stdin from /dev/null,
    /// with <c>ORLEANSRAY_ADDRESS</c> and <c>ORLEANSRAY_JOB_ID</c> set (a driver's <c>Address = "auto"</c> and job id),
    /// and <c>ORLEANSRAY_JOB_WORKING_DIR</c> when the job has a working dir (<see cref="JobRecord.JobWorkingDir"/>: a
    /// driver's default <c>RuntimeEnv.WorkingDir</c>).</summary>
    private static Process StartHeld(JobRecord record)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            WorkingDirectory = record.WorkingDirectory,
        };
        start.ArgumentList.Add("-c");
        // Without the line (the supervisor died), `read` fails and the command never runs.
        start.ArgumentList.Add("read go || exit 125; log=\"$1\"; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");
        start.ArgumentList.Add("orleansray-job");
        start.ArgumentList.Add(record.LogFile);
        foreach (var argument in record.Command)
        {
            start.ArgumentList.Add(argument);
        }

        // A job's working dir is the one it was submitted with, never one inherited from the submitter's environment.
        start.Environment.Remove(RuntimeEnv.JobWorkingDirVariable);
        foreach (var (name, value) in record.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.Environment[ConnectedCluster.AddressVariable] = record.Address;
        start.Environment[RayDriver.JobIdVariable] = record.JobId;
        if (record.JobWorkingDir is { } workingDir)
        {
            start.Environment[RuntimeEnv.JobWorkingDirVariable] = workingDir;
        }
        return Process.Start(start) ?? throw new CliException($"could not start {record.Command[0]}.");
    }

    /// <summary>Finds a program as a shell would: a path (absolute, or relative to <paramref name="workingDirectory"/>),
    /// else the first match on PATH; null when there is none.</summary>
    public static string? FindProgram(string name, string workingDirectory)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(name, workingDirectory);
            return File.Exists(path) ? path : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
