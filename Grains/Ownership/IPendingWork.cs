namespace OrleansRay.Ownership;

/// <summary>Work that produces an object and can be cancelled while queued or running.</summary>
internal interface IPendingWork
{
    /// <summary>Cancels the work; with <paramref name="force"/> a running attempt is abandoned and its resources freed.</summary>
    void Cancel(bool force);
}
