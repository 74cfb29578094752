using System.Globalization;
using System.Text.Json;

namespace OrleansRay;

/// <summary>One finished task on the cluster's timeline (an event of Ray's <c>ray.timeline()</c>): where and when it
/// ran, on which lane of its node.</summary>
/// <param name="Name">The function's display name.</param>
/// <param name="TaskId">The task's id, as <c>orleansray list tasks</c> shows it.</param>
/// <param name="JobId">The job it belonged to, as <c>list jobs</c> shows it; empty for work of no job.</param>
/// <param name="Node">The node it ran on.</param>
/// <param name="Lane">Its row on that node, from 0: tasks on one lane never overlap, so a node shows as many lanes as
/// it ran tasks at once (its worker slots in use). Ray's timeline has a row per worker process.</param>
/// <param name="StartedAt">When it started running.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Attempt">The attempt, 0 for the first run (Ray's <c>attempt_number</c>).</param>
/// <param name="Error">For a failed task: the exception's type and message; null when it succeeded.</param>
public sealed record TimelineEvent(string Name, string TaskId, string JobId, string Node, int Lane, DateTimeOffset StartedAt, TimeSpan Duration, int Attempt, string? Error)
{
    /// <summary>When it finished (<see cref="StartedAt"/> + <see cref="Duration"/>).</summary>
    public DateTimeOffset EndedAt => StartedAt + Duration;
}

/// <summary>Writes timeline events in the Chrome trace event format (a JSON array of events) that <c>chrome://tracing</c>,
/// <c>https://ui.perfetto.dev</c> and Ray's <c>ray timeline</c> files use: one process per node, one thread per lane, one
/// complete (<c>"ph": "X"</c>) event per task, timestamps in microseconds since the Unix epoch.</summary>
public static class ChromeTrace
{
    /// <summary>Writes <paramref name="events"/> to <paramref name="destination"/> as one JSON array (UTF-8); a failed
    /// task is drawn red and carries its error in its <c>args</c>. The stream is flushed, not closed.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> or <paramref name="destination"/> is null.</exception>
    public static async Task WriteAsync(IEnumerable<TimelineEvent> events, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(destination);
        var list = events.ToList();
        await using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = false });
        json.WriteStartArray();
        var nodes = list.Select(e => e.Node).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var processOf = nodes.Select((node, index) => (node, index)).ToDictionary(p => p.node, p => p.index + 1, StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            Metadata(json, "process_name", processOf[node], null, node.Length == 0 ? "node (unknown)" : "node " + node);
            foreach (var lane in list.Where(e => e.Node == node).Select(e => e.Lane).Distinct().Order())
            {
                Metadata(json, "thread_name", processOf[node], lane, "lane " + lane.ToString(CultureInfo.InvariantCulture));
            }
        }

        foreach (var e in list)
        {
            json.WriteStartObject();
            json.WriteString("name", e.Name);
            json.WriteString("cat", "task");
            json.WriteString("ph", "X");
            json.WriteNumber("ts", (e.StartedAt - DateTimeOffset.UnixEpoch).Ticks / 10.0);
            json.WriteNumber("dur", e.Duration.Ticks / 10.0);
            json.WriteNumber("pid", processOf[e.Node]);
            json.WriteNumber("tid", e.Lane);
            if (e.Error is not null)
            {
                json.WriteString("cname", "terrible");
            }

            json.WriteStartObject("args");
            json.WriteString("task_id", e.TaskId);
            json.WriteString("job_id", e.JobId);
            json.WriteString("node", e.Node);
            json.WriteNumber("attempt", e.Attempt);
            if (e.Error is not null)
            {
                json.WriteString("error", e.Error);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            if (json.BytesPending > 64 * 1024)
            {
                await json.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        json.WriteEndArray();
        await json.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Metadata(Utf8JsonWriter json, string kind, int process, int? lane, string name)
    {
        json.WriteStartObject();
        json.WriteString("name", kind);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", process);
        if (lane is { } tid)
        {
            json.WriteNumber("tid", tid);
        }

        json.WriteStartObject("args");
        json.WriteString("name", name);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>Turns the state API's finished tasks into timeline events: per node, each task goes on the lowest lane free
/// when it started.</summary>
internal static class TimelineBuilder
{
    /// <summary>The filters a timeline adds to the caller's: tasks still waiting or running have no end yet.</summary>
    private static readonly IReadOnlyList<StateFilter> FinishedOnly =
    [
        new("state", StatePredicate.NotEqual, "RUNNING"),
        new("state", StatePredicate.NotEqual, "PENDING_NODE_ASSIGNMENT"),
        new("state", StatePredicate.NotEqual, "PENDING_ARGS_AVAIL"),
    ];

    /// <summary>The cluster's finished tasks matching <paramref name="filters"/>, newest first up to <paramref name="limit"/>,
    /// as timeline events (what <see cref="IRayState.TimelineAsync"/>, <c>orleansray timeline</c> and the dashboard's
    /// <c>/api/timeline</c> return): the total counts the finished tasks that matched, the warnings name nodes that did
    /// not answer.</summary>
    /// <exception cref="ArgumentException">A filter key is not a task column.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not 1 to 10,000.</exception>
    public static async Task<StateList<TimelineEvent>> ReadAsync(Node.ClusterState state, IReadOnlyList<StateFilter> filters, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var tasks = await state.TasksAsync([.. filters, .. FinishedOnly], limit, cancellationToken).ConfigureAwait(false);
        return new StateList<TimelineEvent>(FromTasks(tasks.Rows), tasks.Total, tasks.Warnings);
    }

    /// <summary>The events of <paramref name="tasks"/>' finished ones, ordered by start (lanes assigned per node).</summary>
    public static List<TimelineEvent> FromTasks(IEnumerable<TaskStateRow> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var events = new List<TimelineEvent>();
        foreach (var byNode in tasks.Where(t => t.StartedAt is not null && t.EndedAt is not null).GroupBy(t => t.Node, StringComparer.Ordinal))
        {
            var laneEnds = new List<DateTimeOffset>();
            foreach (var task in byNode.OrderBy(t => t.StartedAt).ThenBy(t => t.EndedAt))
            {
                var start = task.StartedAt!.Value;
                var end = task.EndedAt!.Value < start ? start : task.EndedAt.Value;
                var lane = laneEnds.FindIndex(free => free <= start);
                if (lane < 0)
                {
                    lane = laneEnds.Count;
                    laneEnds.Add(end);
                }
                else
                {
                    laneEnds[lane] = end;
                }

                var error = task.ErrorType is null ? null : string.IsNullOrEmpty(task.ErrorMessage) ? task.ErrorType : $"{task.ErrorType}: {task.ErrorMessage}";
                events.Add(new TimelineEvent(task.Name, task.TaskId, task.JobId, task.Node, lane, start, end - start, task.Attempt, error));
            }
        }

        events.Sort((a, b) => a.StartedAt.CompareTo(b.StartedAt));
        return events;
    }
}
