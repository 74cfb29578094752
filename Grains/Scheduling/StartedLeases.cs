namespace OrleansRay.Scheduling;

/// <summary>The leases one grant round started, to start outside the engine's lock: the first inline (a round usually
/// grants one, for the task just queued), any more in a list.</summary>
internal struct StartedLeases
{
    public Lease? First;
    public List<Lease>? More;

    public void Add(Lease lease)
    {
        if (First is null)
        {
            First = lease;
        }
        else
        {
            (More ??= new List<Lease>()).Add(lease);
        }
    }
}
