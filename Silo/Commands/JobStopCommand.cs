using System.CommandLine;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job stop ID</c>: stops a job (SIGTERM to its process group, SIGKILL after 10 s) and records
/// it STOPPED in the job table: a job submitted from this machine, or, with <c>--address http://HEAD:8265</c>, a job
/// the head runs (through its HTTP job API).</summary>
internal sealed class JobStopCommand : Command
{
    private readonly Argument<string> _jobId = JobCommand.JobIdArgument();
    private readonly Option<string?> _address = JobCommand.AddressOption();
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);

    public JobStopCommand()
        : base("stop", "Stop a job submitted from this machine, or run by the head at --address http://HEAD:8265 (SIGTERM to its processes, SIGKILL after 10 s); the job table shows it STOPPED.")
    {
        Arguments.Add(_jobId);
        Options.Add(_address);
        Options.Add(_authToken);
        Options.Add(_insecure);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var jobId = parse.GetValue(_jobId)!;
        var console = ConsoleOutput.Create();
        if (JobCommand.HttpAddress(parse.GetValue(_address)) is { } url)
        {
            using var api = new JobApiClient(url, AuthTokens.HttpToken(parse, _authToken, _insecure, CliPaths.Current, url));
            var stopped = await api.StopAsync(jobId, cancellationToken).ConfigureAwait(false);
            console.MarkupLine(Markup.Escape(stopped.Outcome ?? $"Job {jobId}: {stopped.State}."));
            return 0;
        }

        var paths = CliPaths.Current;
        if (JobRecord.TryRead(paths.JobFile(jobId)) is not { } record)
        {
            throw await JobLogsCommand.NotHereAsync(jobId, parse.GetValue(_address), paths, () => AuthTokens.ForClient(parse, _authToken, _insecure, paths), cancellationToken, "process").ConfigureAwait(false);
        }

        using (var process = NodeProcesses.TryGetProcess(record.Pid, record.ProcessStart))
        {
            if (process is null)
            {
                // Nothing to stop: no cluster needed to say so.
                console.MarkupLine(Markup.Escape(JobRunner.NotRunning(record)));
                return 0;
            }
        }

        await using var cluster = await ClusterClient.ConnectAsync("--address", parse.GetValue(_address) ?? record.Address, () => AuthTokens.ForClient(parse, _authToken, _insecure, CliPaths.Current), cancellationToken).ConfigureAwait(false);
        var outcome = await JobRunner.StopAsync(record, cluster.Client.GetGrain<IJobTableGrain>(0), cancellationToken).ConfigureAwait(false);
        console.MarkupLine(Markup.Escape(outcome));
        return 0;
    }
}
