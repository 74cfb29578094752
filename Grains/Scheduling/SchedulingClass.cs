namespace OrleansRay.Scheduling;

/// <summary>Ready tasks of one resource shape, and the leases running them.</summary>
internal sealed class SchedulingClass
{
    public SchedulingClass(ResourceSet shape, SchedulerEngine engine)
    {
        Shape = shape;
        Engine = engine;
    }

    public ResourceSet Shape { get; }

    public SchedulerEngine Engine { get; }

    public Queue<TaskSpec> Ready { get; } = new();

    /// <summary>Leases of this shape running and not blocked in a Get (blocked ones have handed their share back).</summary>
    public int ActiveLeases;
}
