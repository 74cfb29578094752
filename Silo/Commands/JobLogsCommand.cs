using System.CommandLine;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job logs ID [--follow]</c>: prints the output of a job submitted from this machine, or, with
/// <c>--address http://HEAD:8265</c>, of a job the head runs (through its HTTP job API).</summary>
internal sealed class JobLogsCommand : Command
{
    private readonly Argument<string> _jobId = JobCommand.JobIdArgument();
    private readonly Option<string?> _address = JobCommand.AddressOption();
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing the output as it comes until the job ends (Ctrl+C stops following; the job goes on)." };

    public JobLogsCommand()
        : base("logs", "Print the output (stdout and stderr) of a job submitted from this machine, or run by the head at --address http://HEAD:8265.")
    {
        Arguments.Add(_jobId);
        Options.Add(_address);
        Options.Add(_authToken);
        Options.Add(_insecure);
        Options.Add(_follow);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var jobId = parse.GetValue(_jobId)!;
        var follow = parse.GetValue(_follow);
        if (JobCommand.HttpAddress(parse.GetValue(_address)) is { } url)
        {
            using var api = new JobApiClient(url, AuthTokens.HttpToken(parse, _authToken, _insecure, CliPaths.Current, url));
            using var output = Console.OpenStandardOutput();
            await api.CopyLogsAsync(jobId, output, follow, cancellationToken).ConfigureAwait(false);
            return 0;
        }

        if (JobRecord.TryRead(paths.JobFile(jobId)) is not { } record)
        {
            throw await NotHereAsync(jobId, parse.GetValue(_address), paths, () => AuthTokens.ForClient(parse, _authToken, _insecure, paths), cancellationToken).ConfigureAwait(false);
        }

        if (follow)
        {
            await JobSubmitCommand.FollowAsync(paths.JobFile(jobId), record, cancellationToken).ConfigureAwait(false);
            return 0;
        }

        try
        {
            using var log = new FileStream(record.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var stdout = Console.OpenStandardOutput();
            await log.CopyToAsync(stdout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException($"the log of job {jobId} is gone ({record.LogFile}); `orleansray stop` and `orleansray down` remove logs unless given --keep-logs.");
        }

        return 0;
    }

    /// <summary>The error for a job this machine did not submit: where it runs when the job table knows it.</summary>
    internal static async Task<CliException> NotHereAsync(string jobId, string? address, CliPaths paths, Func<OrleansRay.ObjectStore.Security.ClusterCredentials?> credentials, CancellationToken cancellationToken, string what = "output")
    {
        var resolved = address ?? paths.ReadAddress();
        if (resolved is null)
        {
            return CliException.Usage($"no job {jobId} was submitted from this machine.");
        }

        await using var cluster = await ClusterClient.ConnectAsync("--address", resolved, credentials, cancellationToken).ConfigureAwait(false);
        var jobs = await cluster.Client.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (jobs.FirstOrDefault(j => j.JobId == jobId) is not { } job)
        {
            return CliException.Usage($"no job {jobId}: `orleansray job list` shows the cluster's jobs.");
        }

        var pid = job.Pid > 0 ? $"pid {job.Pid} " : string.Empty;
        return string.Equals(job.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            ? job.Submitted
                ? new CliException(EarlierSession(jobId, what))
                : new CliException($"job {jobId} was not submitted with `orleansray job submit`: its driver ({pid}on this machine) was run directly, so its output went to that process's own console, not to a job log.")
            : new CliException($"job {jobId} was not submitted from this machine (its driver is {pid}on {job.Host}): its output and its process are there.");
    }

    /// <summary>The error for a job submitted on this machine whose job file is gone: a head restarted on --storage
    /// keeps the job table's rows, while <c>orleansray stop</c> deleted the session's job files and logs.</summary>
    internal static string EarlierSession(string jobId, string what) => what == "process"
        ? $"job {jobId} has no job file on this machine, where it was submitted: it belongs to an earlier session of the cluster (`orleansray stop` or `down` ended its process and deleted its files), or another user's; nothing of it runs here to stop."
        : $"job {jobId} has no job file on this machine, where it was submitted: it belongs to an earlier session of the cluster, whose files `orleansray stop` or `down` deleted (give them --keep-logs to keep a session's logs), or another user's; its {what} is not here.";
}
