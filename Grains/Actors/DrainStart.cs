using OrleansRay.Ownership;

namespace OrleansRay.Actors;

/// <summary>An actor's drain loop queued on the pool (<see cref="ActorCallDispatcher"/>): exactly one of the worker thread
/// that dequeues it, a waiting caller, and a task channel's reader claims it.</summary>
internal sealed class DrainStart(ActorCallDispatcher dispatcher, int generation)
{
    private int _claimed;

    public ActorCallDispatcher Dispatcher { get; } = dispatcher;

    /// <summary>The actor instance the loop serves (a restart makes a new one).</summary>
    public int Generation { get; } = generation;

    /// <summary>The entry of the call its claimer waits for (set by <see cref="ActorCallDispatcher.TryRunHere"/> before
    /// it runs the loop).</summary>
    public ObjectEntry? StopWhen { get; set; }

    /// <summary>True for the one claimer.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>The claim offered to a task channel's reader (<see cref="Transport.ChannelRunHere.Offer"/>): runs the
    /// loop for one call on the calling thread; false when a worker thread took it first.</summary>
    public bool RunOnReader() => Dispatcher.RunOneHere(this);
}
