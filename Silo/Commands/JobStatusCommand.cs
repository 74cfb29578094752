using System.CommandLine;
using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Dashboard;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job status ID</c>: one job's state (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), its message
/// and its exit code when known: from the head's job API (<c>--address http://HEAD:8265</c>), else from the job table
/// (and this machine's job file for the exit code).</summary>
/// <remarks>The first line is <c>Job 'ID': STATE</c>, for scripts; unknown ids are a one-line error with exit code 2.</remarks>
internal sealed class JobStatusCommand : Command
{
    private readonly Argument<string> _jobId = JobCommand.JobIdArgument();
    private readonly Option<string?> _address = JobCommand.AddressOption();
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);

    public JobStatusCommand()
        : base("status", "Print a job's state, message and exit code.")
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
        JobDetail detail;
        if (JobCommand.HttpAddress(parse.GetValue(_address)) is { } url)
        {
            using var api = new JobApiClient(url, AuthTokens.HttpToken(parse, _authToken, _insecure, CliPaths.Current, url));
            detail = await api.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var paths = CliPaths.Current;
            var address = ClusterClient.ResolveAddress(parse.GetValue(_address), paths);
            await using var cluster = await ClusterClient.ConnectAsync("--address", address, () => AuthTokens.ForClient(parse, _authToken, _insecure, CliPaths.Current), cancellationToken).ConfigureAwait(false);
            var jobs = await cluster.Client.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var row = jobs.FirstOrDefault(j => j.JobId == jobId)
                ?? throw CliException.Usage($"no job {jobId}: `orleansray job list` shows the cluster's jobs.");
            var record = JobRecord.TryRead(paths.JobFile(jobId));
            var r = DashboardApi.JobRow.From(row);
            detail = new JobDetail(r.JobId, r.State, r.Driver, r.Host, r.Pid, r.Entrypoint, r.Namespace, r.StartedAt, r.EndedAt, r.Message, r.Embedded, record?.ExitCode, record is not null);
        }

        var console = ConsoleOutput.Create();
        console.MarkupLine($"Job '{Markup.Escape(detail.JobId)}': {JobListCommand.StateMarkup(detail.State)}");
        var lines = new LabelledLines();
        lines.Add("Entrypoint", detail.Entrypoint);
        lines.Add("Driver", detail.Pid > 0 ? string.Create(CultureInfo.InvariantCulture, $"pid {detail.Pid} on {detail.Host}") : detail.Host);
        lines.Add("Started", JobListCommand.Time(detail.StartedAt));
        if (detail.EndedAt is { } ended)
        {
            lines.Add("Ended", JobListCommand.Time(ended));
        }

        if (detail.Message is { Length: > 0 } message)
        {
            lines.Add("Message", message);
        }

        if (detail.ExitCode is { } exitCode)
        {
            lines.Add("Exit code", exitCode.ToString(CultureInfo.InvariantCulture));
        }

        lines.WriteTo(console);
        return 0;
    }
}
