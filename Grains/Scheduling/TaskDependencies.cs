using OrleansRay.Ownership;

namespace OrleansRay.Scheduling;

/// <summary>Holds each submitted task until its object arguments exist (Ray's dependency resolution before a task is
/// queued): counts the pending ones, registers a callback on each, and hands the task to the engine's queue when the
/// last completes. An argument that no longer exists fails the task at once.</summary>
internal sealed class TaskDependencies
{
    private readonly SchedulerEngine _engine;
    private readonly IArgumentSource _arguments;

    public TaskDependencies(SchedulerEngine engine, IArgumentSource arguments)
    {
        _engine = engine;
        _arguments = arguments;
    }

    /// <summary>Accepts a task whose owner is on this node: waits for its object arguments, then queues it. A new one
    /// (<paramref name="countSubmitted"/>) submitted by a task's code is that task's child (a recursive cancel of the
    /// task reaches it, <see cref="TaskChildren"/>).</summary>
    public void Submit(TaskSpec spec, bool countSubmitted = true)
    {
        if (countSubmitted)
        {
            _engine.Counts.RecordSubmitted();
            TaskChildren.Register(spec);
        }

        List<ObjectEntry>? pending = null;
        foreach (var arg in spec.Args)
        {
            if (arg.IsRef)
            {
                if (!_arguments.TryGetArgument(arg, out var entry))
                {
                    spec.CompleteReturns(null, RayError.Create(RayErrorKind.ObjectLost, $"Argument object {arg.RefId} of {spec.DisplayName} no longer exists.", spec.DisplayName));
                    return;
                }

                if (!entry.IsComplete)
                {
                    (pending ??= new List<ObjectEntry>(spec.Args.Length)).Add(entry);
                }
            }
        }

        if (pending is null)
        {
            _engine.Enqueue(spec);
            return;
        }

        WaitFor(spec, pending);
    }

    /// <summary>Registers on exactly the entries counted: one that completes meanwhile runs its callback at once
    /// (OnComplete), so the count always reaches zero. (Its own method: the closure over <paramref name="spec"/> would
    /// otherwise be allocated on every submit, also for tasks without pending arguments.)</summary>
    private void WaitFor(TaskSpec spec, List<ObjectEntry> pending)
    {
        spec.PendingDependencies = pending.Count + 1; // +1 guards against callbacks firing before registration ends
        _engine.Counts.WaitingForArgsStarted();
        Action<ObjectEntry> ready = _ => DependencyReady(spec);
        foreach (var entry in pending)
        {
            entry.Producer?.Hurry(); // an argument's task held for its driver to run: this task waits for it instead
            entry.OnComplete(ready);
        }

        DependencyReady(spec);
    }

    private void DependencyReady(TaskSpec spec)
    {
        if (Interlocked.Decrement(ref spec.PendingDependencies) == 0)
        {
            _engine.Counts.WaitingForArgsEnded();
            _engine.Enqueue(spec);
        }
    }
}
