namespace OrleansRay.Actors;

/// <summary>One caller's calls to an actor, keyed by sequence number; runs them strictly in that order.</summary>
internal sealed class CallerQueue
{
    public CallerQueue(WorkerId caller)
    {
        Caller = caller;
    }

    public WorkerId Caller { get; }

    /// <summary>The sequence number that runs next.</summary>
    public long Next;

    /// <summary>Calls received, possibly out of order.</summary>
    public SortedDictionary<long, ActorCall> Calls { get; } = new();

    /// <summary>True while the head call waits for an object argument (a callback is registered).</summary>
    public bool HeadWaiting;

    public ActorCall? Head => Calls.TryGetValue(Next, out var call) ? call : null;
}
