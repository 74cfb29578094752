using OrleansRay.Ownership;

namespace OrleansRay.Scheduling;

/// <summary>A task as lineage (Ray's lineage reconstruction, <see cref="ILineage"/>): the handles a rerun holds on the
/// task's owned arguments, and the rerun itself, which puts the task back through the engine.</summary>
internal static class TaskReruns
{
    /// <summary>The task's result keeps it as lineage only: the arguments keep their entries by the lineage count, not
    /// by handles (see <see cref="ILineage.ReleaseArgumentHandles"/>).</summary>
    public static void ReleaseArgumentHandles(TaskSpec spec, ObjectTable table)
    {
        ReleaseHeldArguments(spec, table);
        var args = spec.Args;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.IsRef && arg.Value is not null && table.TryGet(arg.RefId, out _))
            {
                // Owned here: the entry stays by the lineage count. A ref borrowed from another owner keeps its handle.
                args[i] = TaskArg.FromRef(arg.RefId, null);
            }
        }
    }

    /// <summary>Before running again: holds a handle on each object argument <paramref name="table"/> owns (rebuilding
    /// any kept only for lineage), until <see cref="ReleaseHeldArguments"/> when the run is done. Once per rerun.</summary>
    public static void HoldArguments(TaskSpec spec, ObjectTable table)
    {
        if (Interlocked.Exchange(ref spec.RareParts.RerunHandles, 1) != 0)
        {
            return;
        }

        foreach (var arg in spec.Args)
        {
            if (arg.IsRef && table.TryGet(arg.RefId, out _))
            {
                table.AddHandle(arg.RefId);
            }
        }
    }

    /// <summary>The run is done: gives back the handles <see cref="HoldArguments"/> took (once).</summary>
    public static void ReleaseHeldArguments(TaskSpec spec, ObjectTable table)
    {
        if (spec.RarePartsIfAny is not { } rare || Interlocked.Exchange(ref rare.RerunHandles, 0) == 0)
        {
            return;
        }

        foreach (var arg in spec.Args)
        {
            if (arg.IsRef && table.TryGet(arg.RefId, out _))
            {
                table.ReleaseHandle(arg.RefId);
            }
        }
    }

    /// <summary>Runs <paramref name="spec"/> again to rebuild a lost return (<see cref="ILineage.TryRerun"/>): false, with
    /// <paramref name="reason"/>, when it was cancelled or its retries (Ray's <c>max_retries</c>) are spent.</summary>
    public static bool TryRerun(TaskSpec spec, out string reason)
    {
        if (spec.Cancelled)
        {
            reason = $"its task {spec.DisplayName} was cancelled";
            return false;
        }

        if (spec.Attempt > spec.MaxRetries)
        {
            reason = $"its task {spec.DisplayName} already ran {spec.Attempt} time(s) and MaxRetries is {spec.MaxRetries}";
            return false;
        }

        reason = string.Empty;
        if (spec.Result.Table is { } table)
        {
            // The rerun reads its owned arguments: hold them (rebuilding any kept only for lineage) until it is done.
            HoldArguments(spec, table);
        }

        if (spec.OtherReturns is { } others)
        {
            // Two of its returns may be lost at once (on two threads: the node's death, a reader's failed pull): the task
            // runs again once, and that run fills every return that needs it.
            lock (others)
            {
                if (spec.State != TaskState.Done)
                {
                    return true;
                }

                spec.State = TaskState.Waiting;
            }
        }

        spec.Result.Producer = spec;
        foreach (var other in spec.OtherReturns ?? [])
        {
            other.Producer = spec;
        }

        spec.RemoteNode = null;
        spec.RunningLease = null;
        spec.State = TaskState.Waiting;
        spec.Engine.Resubmit(spec);
        return true;
    }
}
