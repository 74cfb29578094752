using System.Globalization;
using OrleansRay.Node;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray timeline</c>'s file (Ray's <c>ray timeline</c>): the finished tasks the state API lists, as a
/// Chrome trace (<see cref="ChromeTrace"/>).</summary>
internal static class TimelineFile
{
    /// <summary>The full path to write: <paramref name="output"/>, or a new name in the temp folder.</summary>
    /// <exception cref="CliException">The path's folder does not exist, or the path is a folder (exit code 2).</exception>
    public static string Resolve(string? output)
    {
        if (output is null)
        {
            return Path.Combine(Path.GetTempPath(), $"orleansray-timeline-{DateTime.UtcNow.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture)}.json");
        }

        if (string.IsNullOrWhiteSpace(output))
        {
            throw CliException.Usage("--output is empty: give a file name, e.g. --output timeline.json, or leave --output out for a file in the temp folder.");
        }

        var path = Path.GetFullPath(output.Trim());
        if (Directory.Exists(path))
        {
            throw CliException.Usage($"--output '{output}' is a folder: give a file name, e.g. --output {Path.Combine(output.Trim(), "timeline.json")}.");
        }

        if (Path.GetDirectoryName(path) is { } folder && !Directory.Exists(folder))
        {
            throw CliException.Usage($"--output '{output}': the folder {folder} does not exist; create it or write elsewhere.");
        }

        return path;
    }

    /// <summary>Asks the cluster, writes the file, and says where it is and how much it holds.</summary>
    public static async Task<int> WriteAsync(ClusterState state, IReadOnlyList<StateFilter> filters, int limit, string path, CancellationToken cancellationToken)
    {
        var timeline = await TimelineBuilder.ReadAsync(state, filters, limit, cancellationToken).ConfigureAwait(false);
        foreach (var warning in timeline.Warnings)
        {
            Console.Error.WriteLine("warning: " + warning);
        }

        if (timeline.Truncated)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warning: the newest {timeline.Rows.Count} of {timeline.Total} finished tasks are on the timeline (the limit); raise --limit or add --filter to see others."));
        }

        var events = timeline.Rows;
        if (events.Count == 0)
        {
            Console.Error.WriteLine(filters.Count == 0
                ? "warning: the cluster lists no finished tasks (each node keeps its latest 10,000); the trace is empty."
                : "warning: no finished task matches the filters; the trace is empty. `orleansray list tasks` shows the values to filter on (node_id is a node's id, not its address).");
        }

        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
            await ChromeTrace.WriteAsync(events, file, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write the trace to {path}: {ex.Message.TrimEnd('.', ' ')}. Give --output a file in a writable folder with room.", CliException.UsageExitCode, ex);
        }

        var nodes = events.Select(e => e.Node).Distinct(StringComparer.Ordinal).Count();
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Trace file written to {path} ({events.Count} task{(events.Count == 1 ? string.Empty : "s")} on {nodes} node{(nodes == 1 ? string.Empty : "s")}). Open it at chrome://tracing or https://ui.perfetto.dev."));
        return 0;
    }
}
