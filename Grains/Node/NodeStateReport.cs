using System.Diagnostics;
using OrleansRay.Execution;
using OrleansRay.Ownership;
using OrleansRay.Scheduling;

namespace OrleansRay.Node;

/// <summary>One runtime's answer to a state query (<see cref="StateQuery"/>): its tasks, actors or objects, filtered here
/// and cut to the limit before anything is sent, or summarized here.</summary>
/// <remarks>
/// Bounded: finished tasks come from the node's <see cref="TaskEventLog"/> ring (at most its capacity, 10,000 by
/// default, however many tasks the node ran); pending and running tasks, hosted actors and owned objects are what the
/// node holds now. No list is kept for the state API: it reads what the runtime keeps anyway.
/// A task is listed once in the cluster: by the node that runs (or ran) it; its owner lists it only while it waits
/// there (not yet sent), or when it could not be placed anywhere.
/// </remarks>
internal static class NodeStateReport
{
    /// <summary>Answers <paramref name="query"/> from <paramref name="runtime"/>.</summary>
    /// <exception cref="ArgumentException">The query asks for nodes, jobs or placement groups (the control store holds
    /// them), or a filter key is not a column.</exception>
    public static NodeStateAnswer Answer(NodeRuntime runtime, StateQuery query)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(query);
        StateColumns.Validate(query.Resource, query.Filters);
        var name = runtime.Node.Name;
        return query.Resource switch
        {
            StateResource.Tasks => Tasks(name, LiveTasks(runtime).Concat(FinishedTasks(runtime.Events, name)), query),
            StateResource.Actors => Actors(name, runtime.ActorServices.HostedActors.Snapshot().Select(ActorRow), query),
            StateResource.Objects => Objects(name, OwnedObjects(runtime.Objects, name), query),
            _ => throw new ArgumentException($"A node does not hold {StateColumns.CliName(query.Resource)}: the control store does.", nameof(query)),
        };
    }

    /// <summary>Answers a task query over <paramref name="rows"/> (what <see cref="Answer"/> does for tasks).</summary>
    public static NodeStateAnswer Tasks(string node, IEnumerable<TaskStateRow> rows, StateQuery query)
    {
        var match = StateColumns.TaskMatcher(query.Filters);
        return query.Summarize
            ? new NodeStateAnswer { Node = node, Summary = Summarize(rows.Where(match), r => r.Name, r => r.State, _ => 0) }
            : Take(rows.Where(match), query.Limit, (kept, matched) => new NodeStateAnswer { Node = node, Tasks = kept, Matched = matched });
    }

    private static NodeStateAnswer Actors(string node, IEnumerable<ActorStateRow> rows, StateQuery query)
    {
        var match = StateColumns.ActorMatcher(query.Filters);
        return query.Summarize
            ? new NodeStateAnswer { Node = node, Summary = Summarize(rows.Where(match), r => r.ClassName, r => r.State, _ => 0) }
            : Take(rows.Where(match), query.Limit, (kept, matched) => new NodeStateAnswer { Node = node, Actors = kept, Matched = matched });
    }

    private static NodeStateAnswer Objects(string node, IEnumerable<ObjectStateRow> rows, StateQuery query)
    {
        var match = StateColumns.ObjectMatcher(query.Filters);
        return query.Summarize
            ? new NodeStateAnswer { Node = node, Summary = Summarize(rows.Where(match), r => r.ReferenceType, r => r.Status, r => Math.Max(0, r.SizeBytes)) }
            : Take(rows.Where(match), query.Limit, (kept, matched) => new NodeStateAnswer { Node = node, Objects = kept, Matched = matched });
    }

    /// <summary>The finished tasks in <paramref name="log"/> that ran on <paramref name="node"/> (or ran nowhere),
    /// newest first: a task an owner sent elsewhere is also in the owner's log, and is listed by the node that ran it;
    /// unless it failed because that node died, which took its log along: the owner lists that one.</summary>
    public static IEnumerable<TaskStateRow> FinishedTasks(TaskEventLog log, string node)
    {
        ArgumentNullException.ThrowIfNull(log);
        foreach (var e in log.Latest(log.Capacity))
        {
            if (e.Node.Length > 0 && e.Node != node && !TaskEventErrors.IsNodeDied(e))
            {
                continue;
            }

            string? type = null, message = null;
            if (e.Error is { } error)
            {
                // Recorded as "{ExceptionType}: {Message}"; a type name has no ": ".
                var at = error.IndexOf(": ", StringComparison.Ordinal);
                (type, message) = at < 0 ? (error, string.Empty) : (error[..at], error[(at + 2)..]);
            }

            yield return new TaskStateRow(e.TaskId.ToString(), e.Function, e.Error is null ? "FINISHED" : "FAILED", e.Node, e.Attempt, string.Empty,
                e.FinishedAt - e.Duration, e.FinishedAt, Math.Round(e.Duration.TotalMilliseconds, 3), type, message) { JobId = DriverText(e.JobDriver) };
        }
    }

    /// <summary>Tasks this runtime holds now: its own tasks not yet sent elsewhere, and the tasks it runs for others.</summary>
    private static IEnumerable<TaskStateRow> LiveTasks(NodeRuntime runtime)
    {
        var name = runtime.Node.Name;
        var now = DateTimeOffset.UtcNow;
        var seen = new HashSet<TaskId>();
        foreach (var spec in runtime.Foreign.RunningTasks)
        {
            if (spec.State != TaskState.Done && seen.Add(spec.Id))
            {
                yield return LiveRow(spec, name, now);
            }
        }

        foreach (var entry in runtime.Objects.Entries)
        {
            if (entry.Producer is TaskSpec spec && !entry.IsComplete && spec.State != TaskState.Done
                && !(spec.SentElsewhere && spec.State == TaskState.Running) && seen.Add(spec.Id))
            {
                yield return LiveRow(spec, name, now);
            }
        }
    }

    private static TaskStateRow LiveRow(TaskSpec spec, string node, DateTimeOffset now)
    {
        var state = spec.State switch
        {
            TaskState.Running => "RUNNING",
            TaskState.Queued => "PENDING_NODE_ASSIGNMENT",
            _ => spec.PendingDependencies > 0 ? "PENDING_ARGS_AVAIL" : "PENDING_NODE_ASSIGNMENT",
        };
        var running = spec.State == TaskState.Running;
        var startedAt = spec.StartedAt; // read once: the worker sets it when it starts the task
        if (running && startedAt == 0)
        {
            state = "SUBMITTED_TO_WORKER";
        }

        DateTimeOffset? started = running && startedAt != 0 ? now - Stopwatch.GetElapsedTime(startedAt) : null;
        return new TaskStateRow(spec.Id.ToString(), spec.DisplayName, state, running ? node : string.Empty, Math.Max(0, spec.Attempt - 1),
            spec.Resources.ToString(), started, null, null, null, null) { JobId = DriverText(spec.JobDriver) };
    }

    /// <summary>A job's driver as rows carry it to the state API (which puts the job's id in its place); empty for none.</summary>
    private static string DriverText(WorkerId driver) => driver.IsEmpty ? string.Empty : driver.ToString();

    private static ActorStateRow ActorRow(HostedActor a) => new(
        a.Info.ActorId.ToString(), a.Info.ClassName, a.Info.Name, a.Info.Namespace, a.Info.State.ToString().ToUpperInvariant(), a.Info.Node,
        a.Info.Restarts, a.Info.Detached, a.PendingCalls, a.CallsRun) { JobId = DriverText(a.Owner) };

    /// <summary>The objects <paramref name="table"/> owns (a borrower's local entries are listed by their owners).</summary>
    public static IEnumerable<ObjectStateRow> OwnedObjects(ObjectTable table, string owner)
    {
        ArgumentNullException.ThrowIfNull(table);
        foreach (var entry in table.Entries)
        {
            if (entry.IsBorrowed)
            {
                continue;
            }

            var status = !entry.IsComplete ? "PENDING" : entry.IsFailed ? "FAILED" : "FINISHED";
            var reference = Volatile.Read(ref entry.Handles) > 0 ? "LOCAL_REFERENCE"
                : Volatile.Read(ref entry.LineageRefs) > 0 ? "USED_BY_PENDING_TASK"
                : "PINNED_IN_MEMORY";
            var origin = entry.Origin switch
            {
                ObjectOrigin.Task or ObjectOrigin.GeneratorItem => "TASK",
                ObjectOrigin.ActorCall or ObjectOrigin.ActorGeneratorItem => "ACTOR_CALL",
                _ => "PUT",
            };
            var stored = entry.StoredObject;
            var location = stored is not null ? "STORE"
                : entry.IsComplete && !entry.IsFailed && !entry.IsValueReleased ? "INLINE"
                : "NONE";
            yield return new ObjectStateRow(entry.Id.ToString(), owner, status, reference, origin, stored?.Size ?? -1, location,
                stored?.Node ?? string.Empty, null, Math.Max(0, Volatile.Read(ref entry.Handles)));
        }
    }

    private static NodeStateAnswer Take<T>(IEnumerable<T> rows, int limit, Func<T[], int, NodeStateAnswer> answer)
    {
        var kept = new List<T>(Math.Clamp(limit, 0, 1024));
        var matched = 0;
        foreach (var row in rows)
        {
            if (matched++ < limit)
            {
                kept.Add(row);
            }
        }

        return answer(kept.ToArray(), matched);
    }

    private static StateSummaryRow[] Summarize<T>(IEnumerable<T> rows, Func<T, string> key, Func<T, string> state, Func<T, long> bytes) =>
        rows.GroupBy(r => (Key: key(r), State: state(r)))
            .Select(g => new StateSummaryRow(g.Key.Key, g.Key.State, g.LongCount(), g.Sum(bytes)))
            .ToArray();
}
