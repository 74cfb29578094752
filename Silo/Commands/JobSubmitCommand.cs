using System.CommandLine;
using System.Globalization;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job submit [--address HOST:PORT] [--job-id ID] [--wait] -- COMMAND...</c>: runs a driver
/// program as a job of the cluster.</summary>
/// <remarks>The command runs on this machine, in the current folder, with <c>ORLEANSRAY_ADDRESS</c> and
/// <c>ORLEANSRAY_JOB_ID</c> set (so <c>Ray.InitAsync(new RayOptions { Address = "auto" })</c> joins the cluster as this
/// job), its output in <c>job-ID.log</c> in the session folder. A supervisor process adds the job's row to the job table,
/// waits for the command to exit and records SUCCEEDED or FAILED by its exit code, whether or not anybody waits.</remarks>
internal sealed class JobSubmitCommand : Command
{
    /// <summary>Longest job id: it names files and shows in tables.</summary>
    private const int MaxJobIdLength = 64;

    private readonly Option<string?> _address = JobCommand.AddressOption();
    private readonly Option<string?> _jobId = new("--job-id") { Description = "The job's id (letters, digits, '.', '_', '-'). Default: job-<8 hex digits>." };
    private readonly Option<bool> _wait = new("--wait") { Description = "Print the job's output as it comes and wait for the job to end; exit with the job's exit code." };
    private readonly Argument<string[]> _command = new("command") { Arity = ArgumentArity.ZeroOrMore, Description = "The command to run, after --: orleansray job submit -- dotnet run --project MyApp" };

    public JobSubmitCommand()
        : base("submit", "Run a driver program (the command after --) as a job of the cluster, on this machine; prints the job's id.")
    {
        Options.Add(_address);
        Options.Add(_jobId);
        Options.Add(_wait);
        Arguments.Add(_command);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var command = parse.GetValue(_command) ?? [];
        if (command.Length == 0 || string.IsNullOrWhiteSpace(command[0]))
        {
            throw CliException.Usage("give the command to run after --, e.g. `orleansray job submit --address 127.0.0.1:30000 -- dotnet run --project MyApp`.");
        }

        var jobId = parse.GetValue(_jobId) ?? "job-" + Guid.NewGuid().ToString("N")[..8];
        if (!IsValidJobId(jobId))
        {
            throw CliException.Usage($"--job-id {jobId}: use 1 to {MaxJobIdLength.ToString(CultureInfo.InvariantCulture)} letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        var workingDirectory = Environment.CurrentDirectory;
        if (JobSupervisor.FindProgram(command[0], workingDirectory) is null)
        {
            throw CliException.Usage($"{command[0]}: no such program (not a file, and not on PATH); give the command to run after --.");
        }

        var address = ClusterClient.ResolveAddress(parse.GetValue(_address), paths);
        OptionValues.HostPort("--address", address);
        var jobFile = paths.JobFile(jobId);
        if (JobRecord.TryRead(jobFile) is { } earlier)
        {
            throw CliException.Usage($"--job-id {jobId}: a job of that id was submitted from this machine at {earlier.SubmittedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}; choose another id.");
        }

        var existingSession = paths.CurrentSession();
        var session = existingSession ?? paths.CreateSession();
        var logs = Path.Combine(session, "logs");
        Directory.CreateDirectory(logs);
        var record = new JobRecord(jobId, address, command, workingDirectory, Path.Combine(logs, $"job-{jobId}.log"), DateTimeOffset.UtcNow);
        record.Write(jobFile);
        var supervisorLog = Path.Combine(logs, $"job-{jobId}.supervisor.log");
        using var supervisor = JobSupervisor.Launch(paths, jobId, supervisorLog);
        try
        {
            record = await JobSupervisor.WaitStartedAsync(jobFile, supervisor, supervisorLog, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException)
        {
            // Nothing ran: leave no job file, and no session folder made only for this job.
            File.Delete(jobFile);
            if (existingSession is null)
            {
                Directory.Delete(session, recursive: true);
                if (new FileInfo(paths.LatestSession).LinkTarget == Path.GetFileName(session))
                {
                    File.Delete(paths.LatestSession);
                }
            }

            if (Directory.Exists(paths.JobsDirectory) && !Directory.EnumerateFileSystemEntries(paths.JobsDirectory).Any())
            {
                Directory.Delete(paths.JobsDirectory);
            }

            throw;
        }

        var console = ConsoleOutput.Create();
        console.MarkupLine(Markup.Escape($"Job '{jobId}' submitted successfully (pid {record.Pid.ToString(CultureInfo.InvariantCulture)})."));
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Command", Markup.Escape(record.CommandLine));
        grid.AddRow("Cluster", Markup.Escape(address));
        grid.AddRow("Log", Markup.Escape(record.LogFile));
        console.Write(grid);
        if (!parse.GetValue(_wait))
        {
            console.WriteLine();
            console.MarkupLine("[bold]Next steps[/]");
            console.MarkupLine(Markup.Escape($"  To print the job's output:  orleansray job logs {jobId}"));
            console.MarkupLine(Markup.Escape($"  To stop the job:            orleansray job stop {jobId}"));
            console.MarkupLine("  To see every job:           orleansray job list");
            return 0;
        }

        console.WriteLine();
        var ended = await FollowAsync(jobFile, record, cancellationToken).ConfigureAwait(false);
        console.MarkupLine(Markup.Escape($"Job '{jobId}' {ended.State ?? "ENDED"} (exit code {ended.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})."));
        if (ended.Error is { } error)
        {
            await Console.Error.WriteLineAsync("warning: " + error).ConfigureAwait(false);
        }

        return ended.ExitCode ?? CliException.FailureExitCode;
    }

    /// <summary>Copies the job's log to stdout as it grows until the supervisor recorded the end (Ctrl+C stops
    /// following; the job goes on).</summary>
    private static async Task<JobRecord> FollowAsync(string jobFile, JobRecord record, CancellationToken cancellationToken)
    {
        using var stdout = Console.OpenStandardOutput();
        long offset = 0;
        while (true)
        {
            var latest = JobRecord.TryRead(jobFile) ?? record;
            // Read the end after the record: output written before the exit is in the file by then.
            offset = await CopyFromAsync(latest.LogFile, offset, stdout, cancellationToken).ConfigureAwait(false);
            if (latest.State is not null)
            {
                return latest;
            }

            using (var supervisor = NodeProcesses.TryGetProcess(latest.SupervisorPid, latest.SupervisorStart))
            {
                if (supervisor is null && latest.SupervisorPid > 0 && JobRecord.TryRead(jobFile) is { State: null })
                {
                    throw new CliException($"the job's supervisor (pid {latest.SupervisorPid.ToString(CultureInfo.InvariantCulture)}) is gone before the job's end was recorded; `orleansray job list` shows what the cluster knows.");
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<long> CopyFromAsync(string path, long offset, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (log.Length <= offset)
            {
                return offset;
            }

            log.Position = offset;
            await log.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            return log.Position;
        }
        catch (FileNotFoundException)
        {
            return offset;
        }
    }

    private static bool IsValidJobId(string id) =>
        id.Length is > 0 and <= MaxJobIdLength
        && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
