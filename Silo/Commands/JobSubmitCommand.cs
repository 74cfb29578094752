using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Dashboard;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job submit [--address http://HEAD:8265 | HOST:PORT] [--working-dir DIR] [--job-id ID] [--wait]
/// -- COMMAND...</c>: runs a driver program as a job of the cluster.</summary>
/// <remarks>With an http:// address (the head's dashboard URL, the normal case from another machine) the working dir
/// (default: the current folder) is zipped, uploaded to the head unless it has that zip already, and the head runs the
/// command in its unpacked copy (<see cref="Dashboard.JobSubmissions"/>). Otherwise the command runs on this machine, in
/// the working dir. Either way it runs with <c>ORLEANSRAY_ADDRESS</c> (the cluster's client address) and
/// <c>ORLEANSRAY_JOB_ID</c> set (so <c>Ray.InitAsync(new RayOptions { Address = "auto" })</c> joins the cluster as this
/// job), and with <c>ORLEANSRAY_JOB_WORKING_DIR</c> (the head's copy, or the <c>--working-dir</c> given here), which a
/// driver takes as its <c>RuntimeEnv.WorkingDir</c> so the folder's files reach the nodes too, its output in <c>job-driver-ID.log</c> in the session folder of the node it runs on: the head's for a job the
/// head runs; for one run here, the session of this machine's node at the job's address (the head, by the address file),
/// else the newest session here. A supervisor process adds the
/// job's row to the job table, waits for the command to exit and records SUCCEEDED or FAILED by its exit code, whether
/// or not anybody waits.</remarks>
internal sealed class JobSubmitCommand : Command
{
    private readonly Option<string?> _address = JobCommand.AddressOption();
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);
    private readonly Option<string?> _jobId = new("--job-id") { Description = "The job's id (letters, digits, '.', '_', '-'). Default: job-<8 hex digits>." };
    private readonly Option<bool> _wait = new("--wait") { Description = "Print the job's output as it comes and wait for the job to end; exit with the job's exit code." };
    private readonly Option<string?> _workingDir = new("--working-dir") { Description = "The folder the job runs in, and its working dir: its files reach every node that runs the job's tasks and actors (RayContext.WorkingDirectory). With --address http://...: uploaded to the head (bin/, obj/, .git/ and --exclude left out), which runs the job in its copy. Default: the current folder (on this machine only where the job runs)." };
    private readonly Option<string[]> _exclude = new("--exclude") { Description = "Leave out of the upload (repeatable): NAME/ a folder at any depth, *.log a file name at any depth, data/**/*.csv a glob from the working dir. bin/, obj/ and .git/ are always left out.", AllowMultipleArgumentsPerToken = false };
    private readonly Option<long> _maxUpload = new("--max-upload") { Description = "Refuse to upload a working dir whose files (after excludes) add up to more bytes than this. Default: 104857600 (100 MiB); the head has its own limit (ORLEANSRAY_JOB_MAX_UPLOAD, default 100 MiB). One file may hold at most " + WorkingDirPackage.Size(WorkingDirPackage.MaxFileBytes) + " whatever this says: leave a larger one out with --exclude.", DefaultValueFactory = _ => WorkingDirPackage.DefaultMaxBytes };
    private readonly Argument<string[]> _command = new("command") { Arity = ArgumentArity.ZeroOrMore, Description = "The command to run, after --: orleansray job submit -- dotnet run --project MyApp" };

    public JobSubmitCommand()
        : base("submit", "Run a driver program (the command after --) as a job of the cluster: on the head with --address http://HEAD:8265 (uploading --working-dir), else on this machine; prints the job's id.")
    {
        Options.Add(_address);
        Options.Add(_authToken);
        Options.Add(_insecure);
        Options.Add(_jobId);
        Options.Add(_wait);
        Options.Add(_workingDir);
        Options.Add(_exclude);
        Options.Add(_maxUpload);
        Arguments.Add(_command);
        SetAction(RunAsync);
    }

    /// <summary>The job API URL an example should show: the <c>--address</c> (or <c>$ORLEANSRAY_ADDRESS</c>) URL given,
    /// else the dashboard of the head running on this machine (its pid file has it: it is on 8265 only by default, and
    /// on another port when that was taken or --dashboard-port said so), else the default one on this machine.</summary>
    private string JobApiExample(ParseResult parse, CliPaths paths)
    {
        try
        {
            if (JobCommand.HttpAddress(parse.GetValue(_address)) is { } given)
            {
                return given.ToString().TrimEnd('/');
            }
        }
        catch (CliException)
        {
            // Not a valid URL: the example shows a good one instead.
        }

        return paths.RunningHead()?.DashboardUrl?.TrimEnd('/') ?? "http://127.0.0.1:" + StartCommand.DefaultDashboardPort.ToString(CultureInfo.InvariantCulture);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        if (UnknownOption(parse) is { } unknown)
        {
            throw CliException.Usage(ParseErrors.UnknownOption(parse, unknown));
        }

        var command = parse.GetValue(_command) ?? [];
        if (command.Length == 0 || string.IsNullOrWhiteSpace(command[0]))
        {
            throw CliException.Usage($"give the command to run after --, e.g. `orleansray job submit --address {JobApiExample(parse, paths)} -- dotnet run --project MyApp`.");
        }

        var jobId = parse.GetValue(_jobId) ?? "job-" + Guid.NewGuid().ToString("N")[..8];
        if (!JobRecord.IsValidJobId(jobId))
        {
            throw CliException.Usage($"--job-id {jobId}: {JobRecord.JobIdRule}.");
        }

        var workingDirectory = Path.GetFullPath(parse.GetValue(_workingDir) ?? Environment.CurrentDirectory);
        if (!Directory.Exists(workingDirectory))
        {
            throw CliException.Usage($"--working-dir {parse.GetValue(_workingDir)}: no such folder.");
        }

        // Checked whichever way the job goes, so a bad value is never silently ignored.
        var maxUpload = parse.GetValue(_maxUpload);
        if (maxUpload <= 0)
        {
            throw CliException.Usage($"--max-upload {maxUpload.ToString(CultureInfo.InvariantCulture)}: give a number of bytes > 0, e.g. --max-upload {WorkingDirPackage.DefaultMaxBytes.ToString(CultureInfo.InvariantCulture)} (100 MiB).");
        }

        if (JobCommand.HttpAddress(parse.GetValue(_address)) is { } url)
        {
            return await SubmitToHeadAsync(parse, url, jobId, command, workingDirectory, maxUpload, cancellationToken).ConfigureAwait(false);
        }

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

        // The session of the node the job connects to (the head, by the address file), not session_latest: with several
        // heads (or a worker started after the head) on this machine, that is the newest node's. A cluster with no node
        // here logs in the newest session here, else in a new one.
        var existingSession = paths.RunningNodeAt(address)?.Session ?? paths.CurrentSession();
        var session = existingSession ?? paths.CreateSession();
        var logs = Path.Combine(session, "logs");
        Directory.CreateDirectory(logs);
        // A --working-dir given is the job's working dir, whose files its driver ships to the nodes (Ray's `ray job
        // submit --working-dir`); the current folder a job merely runs in is not.
        var record = new JobRecord(jobId, address, command, workingDirectory, Path.Combine(logs, JobRecord.LogFileName(jobId)), DateTimeOffset.UtcNow)
        {
            JobWorkingDir = parse.GetValue(_workingDir) is null ? null : workingDirectory,
        };
        try
        {
            record = await JobRunner.StartAsync(paths, record, AuthTokens.ForClient(parse, _authToken, _insecure, paths), cancellationToken).ConfigureAwait(false);
        }
        catch (CliException)
        {
            // Nothing ran: no session folder made only for this job.
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
        Submitted(console, jobId, record.Pid, record.CommandLine, address, ("Log", record.LogFile));
        if (!parse.GetValue(_wait))
        {
            NextSteps(console, jobId, string.Empty);
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

    /// <summary>An option this verb does not have, which the command argument took (it takes every token the parser
    /// does not know): a token starting with '-' before the <c>--</c> separator, or, without one, the command's first
    /// token (a program whose name starts with '-' is not a real case). Null when there is none.</summary>
    private string? UnknownOption(ParseResult parse)
    {
        var taken = parse.GetResult(_command)?.Tokens ?? [];
        var separator = parse.Tokens.Select((token, index) => (token, index)).FirstOrDefault(t => t.token.Type == TokenType.DoubleDash);
        if (separator.token is null)
        {
            return taken.Count > 0 && IsOptionLike(taken[0].Value) ? taken[0].Value : null;
        }

        // Tokens are told apart by reference: the argument's are the very tokens of the parse.
        var beforeSeparator = parse.Tokens.Take(separator.index).ToHashSet(ReferenceEqualityComparer.Instance);
        return taken.FirstOrDefault(t => beforeSeparator.Contains(t) && IsOptionLike(t.Value))?.Value;

        static bool IsOptionLike(string value) => value.Length > 1 && value.StartsWith('-');
    }

    /// <summary>Zips the working dir, uploads it unless the head has it, and has the head run the job.</summary>
    private async Task<int> SubmitToHeadAsync(ParseResult parse, Uri url, string jobId, string[] command, string workingDirectory, long maxUpload, CancellationToken cancellationToken)
    {
        using var api = new JobApiClient(url, AuthTokens.HttpToken(parse, _authToken, _insecure, CliPaths.Current, url));
        // The head answers, and takes this token, before the folder is packed: a head that is down or a wrong token
        // is said at once, not after packing up to --max-upload bytes.
        await api.EnsureAnswersAsync(jobId, cancellationToken).ConfigureAwait(false);
        var package = WorkingDirPackage.Create(workingDirectory, parse.GetValue(_exclude) ?? [], maxUpload);
        JobSubmitted submitted;
        bool uploaded;
        try
        {
            uploaded = await api.UploadAsync(package, cancellationToken).ConfigureAwait(false);
            submitted = await api.SubmitAsync(new JobSubmitRequest(command, jobId, WorkingDir: package.Sha256), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(package.ZipFile);
        }

        var console = ConsoleOutput.Create();
        var files = $"{package.FileCount.ToString(CultureInfo.InvariantCulture)} files, {WorkingDirPackage.Size(package.FolderBytes)} from {workingDirectory}{(uploaded ? string.Empty : " (the head had it already)")}";
        Submitted(console, jobId, submitted.Pid, submitted.Entrypoint, $"{submitted.Address} (head {url})", ("Working dir", files));
        var addressOption = $" --address {url.ToString().TrimEnd('/')}";
        if (!parse.GetValue(_wait))
        {
            NextSteps(console, jobId, addressOption);
            return 0;
        }

        console.WriteLine();
        using var stdout = Console.OpenStandardOutput();
        var ended = await api.CopyLogsAsync(jobId, stdout, follow: true, cancellationToken).ConfigureAwait(false);
        console.MarkupLine(Markup.Escape($"Job '{jobId}' {ended?.State ?? "ENDED"} (exit code {ended?.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})."));
        return ended?.ExitCode ?? CliException.FailureExitCode;
    }

    private static void Submitted(IAnsiConsole console, string jobId, int pid, string commandLine, string cluster, (string Name, string Value) extra)
    {
        console.MarkupLine(Markup.Escape($"Job '{jobId}' submitted successfully (pid {pid.ToString(CultureInfo.InvariantCulture)})."));
        new LabelledLines().Add("Command", commandLine).Add("Cluster", cluster).Add(extra.Name, extra.Value).WriteTo(console);
    }

    private static void NextSteps(IAnsiConsole console, string jobId, string addressOption)
    {
        console.WriteLine();
        console.MarkupLine("[bold]Next steps[/]");
        console.MarkupLine(Markup.Escape($"  To print the job's output:  orleansray job logs {jobId}{addressOption}"));
        console.MarkupLine(Markup.Escape($"  To see how it is doing:     orleansray job status {jobId}{addressOption}"));
        console.MarkupLine(Markup.Escape($"  To stop the job:            orleansray job stop {jobId}{addressOption}"));
        console.MarkupLine(Markup.Escape($"  To see every job:           orleansray job list{addressOption}"));
    }

    /// <summary>Copies the job's log to stdout as it grows until the supervisor recorded the end (Ctrl+C stops
    /// following; the job goes on).</summary>
    internal static async Task<JobRecord> FollowAsync(string jobFile, JobRecord record, CancellationToken cancellationToken)
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
}
