using System.CommandLine;
using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Dashboard;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job list</c>: the cluster's job table (every driver is a job), newest first.</summary>
internal sealed class JobListCommand : Command
{
    /// <summary>Entrypoints longer than this are cut in the table (the dashboard's Jobs page shows them whole).</summary>
    private const int EntrypointWidth = 60;

    private readonly Option<string?> _address = JobCommand.AddressOption();
    private readonly Option<string?> _authToken = AuthTokens.TokenOption();
    private readonly Option<bool> _insecure = AuthTokens.InsecureOption(AuthTokens.InsecureClientHelp);

    public JobListCommand()
        : base("list", "List the cluster's jobs (every driver is one): id, status, driver, start, end, entrypoint.")
    {
        Options.Add(_address);
        Options.Add(_authToken);
        Options.Add(_insecure);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        IReadOnlyList<DashboardApi.JobRow> jobs;
        if (JobCommand.HttpAddress(parse.GetValue(_address)) is { } url)
        {
            using var api = new JobApiClient(url, AuthTokens.HttpToken(parse, _authToken, _insecure, CliPaths.Current, url));
            jobs = await api.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var address = ClusterClient.ResolveAddress(parse.GetValue(_address), CliPaths.Current);
            await using var cluster = await ClusterClient.ConnectAsync("--address", address, () => AuthTokens.ForClient(parse, _authToken, _insecure, CliPaths.Current), cancellationToken).ConfigureAwait(false);
            var infos = await cluster.Client.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            jobs = infos.Select(DashboardApi.JobRow.From).ToList();
        }

        var console = ConsoleOutput.Create();
        if (jobs.Count == 0)
        {
            console.WriteLine("No jobs yet: every driver (Ray.InitAsync with an Address, or `orleansray job submit`) is a job.");
            return 0;
        }

        console.Write(Table(jobs));
        return 0;
    }

    /// <summary>The job table: one row a job, its entrypoint cut to <see cref="EntrypointWidth"/> and never wrapped.</summary>
    internal static Table Table(IReadOnlyList<DashboardApi.JobRow> jobs)
    {
        // "Status", as `orleansray list jobs` and Ray's `ray job list` / `ray list jobs` name it.
        var table = new Table().Border(ConsoleOutput.Border)
            .AddColumn("Job").AddColumn("Status").AddColumn("Driver").AddColumn("Start").AddColumn("End")
            // Cut to EntrypointWidth below and never wrapped: a command line broken mid-word reads as two.
            .AddColumn(new TableColumn("Entrypoint").NoWrap()).AddColumn("Message");
        foreach (var job in jobs)
        {
            table.AddRow(
                Markup.Escape(job.JobId),
                StateMarkup(job.State),
                Markup.Escape(job.Pid > 0 ? string.Create(CultureInfo.InvariantCulture, $"pid {job.Pid} on {job.Host}") : job.Host),
                Markup.Escape(Time(job.StartedAt)),
                Markup.Escape(job.EndedAt is { } ended ? Time(ended) : string.Empty),
                Markup.Escape(job.Entrypoint.Length > EntrypointWidth ? job.Entrypoint[..(EntrypointWidth - 1)] + "…" : job.Entrypoint),
                Markup.Escape(job.Message ?? string.Empty));
        }

        return table;
    }

    /// <summary>A job state (upper case) in color: green running or succeeded, red failed.</summary>
    internal static string StateMarkup(string state) => state switch
    {
        "RUNNING" or "SUCCEEDED" => $"[green]{Markup.Escape(state)}[/]",
        "FAILED" => $"[red]{Markup.Escape(state)}[/]",
        _ => Markup.Escape(state),
    };

    internal static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
