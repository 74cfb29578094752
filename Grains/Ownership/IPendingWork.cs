namespace OrleansRay.Ownership;

/// <summary>Work that produces an object and can be cancelled while queued or running.</summary>
internal interface IPendingWork
{
    /// <summary>Cancels the work; with <paramref name="force"/> a running attempt is abandoned and its resources freed.</summary>
    void Cancel(bool force);

    /// <summary>Whether this is the only work of its kind in flight and runs on this node (the only task the node has
    /// queued or running; the caller's only unanswered call to an actor on this node): a reader waiting for it may
    /// spin briefly rather than await.</summary>
    bool IsLoneLocal { get; }
}
