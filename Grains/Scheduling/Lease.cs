using OrleansRay.Execution;

namespace OrleansRay.Scheduling;

/// <summary>A grant of one resource shape to one worker loop, which runs queued tasks of that shape one after another
/// until none is left (Ray's worker lease reuse), so resources are acquired once per burst rather than once per task.</summary>
internal sealed class Lease : IWorkerSlot
{
    public Lease(long id, SchedulingClass schedulingClass, TaskSpec first)
    {
        Id = id;
        Class = schedulingClass;
        Next = first;
        Current = first;
    }

    public long Id { get; }

    public SchedulingClass Class { get; }

    public ResourceSet Resources => Class.Shape;

    /// <summary>The task to run next (the first one is assigned at grant time).</summary>
    public TaskSpec? Next;

    /// <summary>The task the lease runs now, or ran last (set under the engine's lock as each is handed to it).</summary>
    public TaskSpec? Current;

    /// <summary>The GPU instances the lease holds (its tasks' <c>RayContext.GpuIds</c>); null when its shape takes no
    /// GPU, and once the lease gave its resources back. Kept by its class (<see cref="SchedulingClass.LeaseGpus"/>): most
    /// leases take no GPU, and a field would grow every lease. Under the engine's lock, as are the two methods below.</summary>
    public GpuGrant? Gpus => Class.LeaseGpus?.GetValueOrDefault(this);

    /// <summary>Records the GPU instances granted with the lease.</summary>
    public void HoldGpus(GpuGrant gpus) => (Class.LeaseGpus ??= new())[this] = gpus;

    /// <summary>Forgets and returns the GPU instances the lease held (null: none), as it gives its resources back.</summary>
    public GpuGrant? ReleaseGpus() => Class.LeaseGpus is { } held && held.Remove(this, out var gpus) ? gpus : null;

    /// <summary>Tasks run under this lease since it was granted.</summary>
    public int Executed;

    /// <summary>Waits its current task has open (several when it waits for more than one thing at once, e.g.
    /// <c>Task.WhenAll</c> of two gets); above 0 its CPUs are handed back (<see cref="LeaseResources"/>). Under the
    /// engine's lock.</summary>
    public int Waits;

    /// <summary>True while its task waits for objects and has handed its CPUs back.</summary>
    public bool Blocked => Waits > 0;

    /// <summary>True once a forced cancel freed its resources; the loop stops after the running function returns.</summary>
    public volatile bool Abandoned;

    /// <summary>True once the lease was released (its resources returned): a Get its code still starts or ends after
    /// that moves nothing (under the engine's lock).</summary>
    public bool Ended;

    private int _claimed;

    /// <summary>Claims the queued lease's loop for the caller: each time the lease is queued, exactly one of the worker
    /// threads that dequeue it and a driver that runs its next task where it waits for it
    /// (<see cref="LeaseLoops.TryRunHere"/>) gets true.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Gives the claim back before the lease is queued again (<see cref="Next"/> is set first).</summary>
    public void Unclaim() => Volatile.Write(ref _claimed, 0);

    public void Abandon(TaskSpec spec) => Class.Engine.Abandon(this, spec);

    /// <inheritdoc/>
    public bool ReleaseWhileBlocked(ICancellableWork? work) => Class.Engine.ReleaseWhileBlocked(this, work);

    /// <inheritdoc/>
    public void ReacquireAfterBlocked(ICancellableWork? work) => Class.Engine.ReacquireAfterBlocked(this, work);
}
