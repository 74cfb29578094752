using OrleansRay.Execution;

namespace OrleansRay.Scheduling;

/// <summary>The tasks a task's code submitted while it ran (Ray's child tasks): what a recursive cancel of the task
/// reaches (Ray's <c>ray.cancel(ref, recursive=True)</c>, the default).</summary>
/// <remarks>A nested task's owner is the node running its parent, so the children are known here, on the parent's
/// node; a child sent to another node is cancelled there through its own spec (<see cref="TaskSpec.RemoteNode"/>),
/// and its children in turn by that node. Finished children are pruned as new ones come (amortized), so a parent
/// that submits many tasks keeps only the ones in flight and a bounded number of finished ones. Once the parent is
/// cancelled recursively the list is closed: a child its code submits after that (code that ignores its token) is
/// cancelled as it comes.</remarks>
internal sealed class TaskChildren
{
    private const int FirstPrune = 64;

    private readonly List<TaskSpec> _children = [];
    private int _pruneAt = FirstPrune;
    private bool _closed;
    private bool _closedForce;

    /// <summary>Records <paramref name="child"/>, just submitted, as a child of the task whose code runs on this flow,
    /// if a task's does (a driver's submit, or an actor method's, has no parent task).</summary>
    public static void Register(TaskSpec child)
    {
        if (RunningTask() is not { } parent || ReferenceEquals(parent, child))
        {
            return;
        }

        var rare = parent.RareParts;
        var children = Volatile.Read(ref rare.Children) ?? Interlocked.CompareExchange(ref rare.Children, new TaskChildren(), null) ?? rare.Children!;
        children.Add(child);
    }

    /// <summary>Cancels the children of <paramref name="parent"/> still in flight, each recursively, and closes its
    /// list (see the remarks).</summary>
    public static void CancelAll(TaskSpec parent, bool force)
    {
        if (parent.RarePartsIfAny is not { } rare)
        {
            return;
        }

        // Closed even when no child was recorded yet: one the code submits later is cancelled as it comes.
        var children = Volatile.Read(ref rare.Children) ?? Interlocked.CompareExchange(ref rare.Children, new TaskChildren(), null) ?? rare.Children!;
        foreach (var child in children.Close(force))
        {
            if (!child.Cancelled && !child.ReturnsComplete)
            {
                child.Cancel(force, recursive: true);
            }
        }
    }

    /// <summary>Drops the children of <paramref name="parent"/>, whose code has finished: a cancel of a finished task
    /// does nothing (nor to them), and its spec, kept for lineage, must not keep theirs.</summary>
    public static void Forget(TaskSpec parent)
    {
        if (parent.RarePartsIfAny is { } rare && Volatile.Read(ref rare.Children) is { } children)
        {
            lock (children._children)
            {
                children._children.Clear();
            }
        }
    }

    /// <summary>The task (a plain task's spec) whose code runs on this flow, if any. Its spec is the flow's source, or
    /// the work of the context its job code was given.</summary>
    private static TaskSpec? RunningTask() => TaskContext.Saved switch
    {
        null => null,
        TaskSpec spec => spec,
        _ => TaskContext.Current?.Work as TaskSpec,
    };

    private void Add(TaskSpec child)
    {
        bool closed, force;
        lock (_children)
        {
            (closed, force) = (_closed, _closedForce);
            if (!closed)
            {
                if (_children.Count >= _pruneAt)
                {
                    _children.RemoveAll(static c => c.Cancelled || c.ReturnsComplete);
                    _pruneAt = Math.Max(FirstPrune, _children.Count * 2);
                }

                _children.Add(child);
            }
        }

        if (closed)
        {
            child.Cancel(force, recursive: true); // the parent was cancelled before its code submitted this one
        }
    }

    private TaskSpec[] Close(bool force)
    {
        lock (_children)
        {
            _closed = true;
            _closedForce |= force;
            var all = _children.ToArray();
            _children.Clear();
            return all;
        }
    }
}
