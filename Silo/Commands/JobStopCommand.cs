using System.CommandLine;
using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job stop ID</c>: stops a job submitted from this machine (SIGTERM to its process group,
/// SIGKILL after 10 s) and records it STOPPED in the job table.</summary>
internal sealed class JobStopCommand : Command
{
    /// <summary>How long a job gets to end after SIGTERM: a driver disposing its IRay takes well under a second.</summary>
    public static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);

    private const string StoppedMessage = "stopped with orleansray job stop";

    private readonly Argument<string> _jobId = JobCommand.JobIdArgument();
    private readonly Option<string?> _address = JobCommand.AddressOption();

    public JobStopCommand()
        : base("stop", "Stop a job submitted from this machine (SIGTERM to its processes, SIGKILL after 10 s); the job table shows it STOPPED.")
    {
        Arguments.Add(_jobId);
        Options.Add(_address);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var jobId = parse.GetValue(_jobId)!;
        var console = ConsoleOutput.Create();
        if (JobRecord.TryRead(paths.JobFile(jobId)) is not { } record)
        {
            throw await JobLogsCommand.NotHereAsync(jobId, parse.GetValue(_address), paths, cancellationToken).ConfigureAwait(false);
        }

        using var process = NodeProcesses.TryGetProcess(record.Pid, record.ProcessStart);
        if (process is null)
        {
            console.MarkupLine(Markup.Escape(record.State is { } state
                ? $"Job {jobId} already ended: {state} (exit code {record.ExitCode?.ToString(CultureInfo.InvariantCulture)})."
                : $"Job {jobId} is not running (its process has exited); its supervisor records how it ended."));
            return 0;
        }

        // The table first: the supervisor sees STOPPED when the process exits, and keeps it.
        await using (var cluster = await ClusterClient.ConnectAsync("--address", parse.GetValue(_address) ?? record.Address, cancellationToken).ConfigureAwait(false))
        {
            var table = cluster.Client.GetGrain<IJobTableGrain>(0);
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
        }

        var clean = await NodeProcesses.StopGroupAsync(process, StopDeadline, cancellationToken).ConfigureAwait(false);
        console.MarkupLine(Markup.Escape($"Stopped job {jobId} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : $" with SIGKILL after {StopDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s")}."));
        return 0;
    }
}
