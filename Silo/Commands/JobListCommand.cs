using System.CommandLine;
using System.Globalization;
using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job list</c>: the cluster's job table (every driver is a job), newest first.</summary>
internal sealed class JobListCommand : Command
{
    /// <summary>Entrypoints longer than this are cut in the table (the dashboard's Jobs page shows them whole).</summary>
    private const int EntrypointWidth = 60;

    private readonly Option<string?> _address = JobCommand.AddressOption();

    public JobListCommand()
        : base("list", "List the cluster's jobs (every driver is one): id, state, driver, start, end, entrypoint.")
    {
        Options.Add(_address);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var address = ClusterClient.ResolveAddress(parse.GetValue(_address), CliPaths.Current);
        await using var cluster = await ClusterClient.ConnectAsync("--address", address, cancellationToken).ConfigureAwait(false);
        var jobs = await cluster.Client.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var console = ConsoleOutput.Create();
        if (jobs.Count == 0)
        {
            console.WriteLine("No jobs yet: every driver (Ray.InitAsync with an Address, or `orleansray job submit`) is a job.");
            return 0;
        }

        var table = new Table().Border(ConsoleOutput.Border)
            .AddColumn("Job").AddColumn("State").AddColumn("Driver").AddColumn("Start").AddColumn("End").AddColumn("Entrypoint").AddColumn("Message");
        foreach (var job in jobs)
        {
            var state = job.State.ToString().ToUpperInvariant();
            table.AddRow(
                Markup.Escape(job.JobId),
                job.State switch
                {
                    JobState.Running or JobState.Succeeded => $"[green]{state}[/]",
                    JobState.Failed => $"[red]{state}[/]",
                    _ => state,
                },
                Markup.Escape(job.Pid > 0 ? string.Create(CultureInfo.InvariantCulture, $"pid {job.Pid} on {job.Host}") : job.Host),
                Markup.Escape(Time(job.StartedAt)),
                Markup.Escape(job.EndedAt is { } ended ? Time(ended) : string.Empty),
                Markup.Escape(job.Entrypoint.Length > EntrypointWidth ? job.Entrypoint[..(EntrypointWidth - 1)] + "…" : job.Entrypoint),
                Markup.Escape(job.Message ?? string.Empty));
        }

        console.Write(table);
        return 0;
    }

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
