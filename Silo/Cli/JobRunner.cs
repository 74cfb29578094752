using System.Globalization;
using OrleansRay.Grains;
using Spectre.Console;

namespace OrleansRay.Silo.Cli;

/// <summary>Starting and stopping a job on this machine, shared by the command line (<c>job submit</c>, <c>job stop</c>)
/// and the head's HTTP job API (<see cref="Dashboard.JobSubmissions"/>), so a job submitted either way runs the same:
/// its file in the jobs folder, a supervisor process, its row in the job table, its log in the session folder.</summary>
internal static class JobRunner
{
    /// <summary>How long a job gets to end after SIGTERM: a driver disposing its IRay takes well under a second.</summary>
    public static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);

    /// <summary>The message the job table shows for a job stopped with <c>job stop</c> (or the API's stop).</summary>
    public const string StoppedMessage = "stopped with orleansray job stop";

    /// <summary>Writes <paramref name="record"/>'s job file, starts its supervisor and waits until the job's process runs.</summary>
    /// <param name="paths">The root of the job files (the supervisor gets it as <c>ORLEANSRAY_TEMP_DIR</c>).</param>
    /// <param name="record">The job: id, cluster address, command, working folder, log file (its folder exists).</param>
    /// <param name="cancellationToken">Stops waiting (the job may still start).</param>
    /// <returns>The record as the supervisor wrote it, with the job's pid.</returns>
    /// <exception cref="CliException">The job did not start (why, and the exit code: 2 for bad input such as a taken
    /// id); the job file is removed then.</exception>
    public static async Task<JobRecord> StartAsync(CliPaths paths, JobRecord record, ObjectStore.Security.ClusterCredentials? credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(record);
        var jobFile = paths.JobFile(record.JobId);
        record.Write(jobFile);
        var supervisorLog = Path.ChangeExtension(record.LogFile, ".supervisor.log");
        try
        {
            using var supervisor = JobSupervisor.Launch(paths, record.JobId, supervisorLog, credentials);
            return await JobSupervisor.WaitStartedAsync(jobFile, supervisor, supervisorLog, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException)
        {
            // Nothing ran: leave no job file behind.
            File.Delete(jobFile);
            throw;
        }
    }

    /// <summary>The line for stopping a job whose process is gone.</summary>
    public static string NotRunning(JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.State is { } state
            ? $"Job {record.JobId} already ended: {state} (exit code {record.ExitCode?.ToString(CultureInfo.InvariantCulture)})."
            : $"Job {record.JobId} is not running (its process has exited); its supervisor records how it ended.";
    }

    /// <summary>Stops the jobs of this machine's job files that still run, for <c>orleansray stop</c> (every job) and
    /// <c>orleansray down</c> (the jobs of its cluster): each job's supervisor at once (it would try to record the end
    /// in a cluster that is going away, and write the file again), then the job's process group (SIGTERM, SIGKILL after
    /// <see cref="StopDeadline"/>); then removes their files unless <paramref name="keepFiles"/>.</summary>
    /// <param name="paths">This machine's OrleansRay folder.</param>
    /// <param name="belongs">Which jobs to stop; null for every job file, unreadable ones included (removed too).</param>
    /// <param name="keepFiles">Keep the job files (with the logs they point at: <c>--keep-logs</c>).</param>
    /// <param name="console">Gets a line per job stopped.</param>
    /// <param name="seen">Gets the job processes and supervisors dealt with (pid, start time), so a caller can check
    /// that none is left.</param>
    /// <param name="cancellationToken">Cancels the stop.</param>
    /// <returns>How many jobs were running and were stopped.</returns>
    public static async Task<int> StopJobsAsync(CliPaths paths, Func<JobRecord, bool>? belongs, bool keepFiles, IAnsiConsole console, ISet<(int Pid, DateTime Start)>? seen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(console);
        var stopped = 0;
        foreach (var file in paths.JobFiles().ToList())
        {
            var record = JobRecord.TryRead(file);
            if (belongs is not null && (record is null || !belongs(record)))
            {
                // Another cluster's job, or a file being replaced right now: not ours to judge.
                continue;
            }

            if (record is not null)
            {
                foreach (var (pid, start) in (ReadOnlySpan<(int, DateTime)>)[(record.SupervisorPid, record.SupervisorStart), (record.Pid, record.ProcessStart)])
                {
                    if (pid > 0)
                    {
                        seen?.Add((pid, start));
                    }
                }

                using (var supervisor = NodeProcesses.TryGetProcess(record.SupervisorPid, record.SupervisorStart))
                {
                    if (supervisor is not null)
                    {
                        NodeProcesses.KillNow(supervisor.Id);
                        await supervisor.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                using var process = NodeProcesses.TryGetProcess(record.Pid, record.ProcessStart);
                if (process is not null)
                {
                    var clean = await NodeProcesses.StopGroupAsync(process, StopDeadline, cancellationToken).ConfigureAwait(false);
                    stopped++;
                    console.MarkupLine(Markup.Escape($"Stopped job {record.JobId} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : " with SIGKILL")}."));
                }
            }

            if (!keepFiles)
            {
                File.Delete(file);
            }
        }

        if (!keepFiles && Directory.Exists(paths.JobsDirectory) && !Directory.EnumerateFileSystemEntries(paths.JobsDirectory).Any())
        {
            Directory.Delete(paths.JobsDirectory);
        }

        return stopped;
    }

    /// <summary>Stops a job started on this machine: records it STOPPED in the job table first (the supervisor keeps
    /// that when the process exits), then SIGTERM to its process group, SIGKILL after <see cref="StopDeadline"/>.</summary>
    /// <param name="record">The job's file.</param>
    /// <param name="table">The cluster's job table.</param>
    /// <param name="cancellationToken">Cancels the stop.</param>
    /// <returns>One line saying what happened, e.g. "Stopped job X (pid N).".</returns>
    public static async Task<string> StopAsync(JobRecord record, IJobTableGrain table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(table);
        var jobId = record.JobId;
        using var process = NodeProcesses.TryGetProcess(record.Pid, record.ProcessStart);
        if (process is null)
        {
            return NotRunning(record);
        }

        var row = (await table.ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.JobId == jobId);
        if (row is { EndedAt: null })
        {
            await table.EndAsync(jobId, JobState.Stopped, StoppedMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (row is not null)
        {
            // Its driver closed the row but the process runs on: it is stopped now.
            await table.StartAsync(row with { State = JobState.Stopped, EndedAt = DateTimeOffset.UtcNow, Message = StoppedMessage }).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var clean = await NodeProcesses.StopGroupAsync(process, StopDeadline, cancellationToken).ConfigureAwait(false);
        return $"Stopped job {jobId} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : $" with SIGKILL after {StopDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s")}.";
    }
}
