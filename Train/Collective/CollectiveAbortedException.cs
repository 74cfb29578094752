namespace OrleansRay.Train.Collective;

/// <summary>A collective operation could not complete because another rank aborted it (its buffer did not match, its
/// send failed, its loop threw) or its group was dropped. The message names the rank and the reason. A group that has
/// failed stays failed, as an NCCL communicator does: the trainer starts a new group for its next attempt.</summary>
public sealed class CollectiveAbortedException : RayException
{
    /// <summary>Creates the exception with its reason.</summary>
    public CollectiveAbortedException(string message)
        : base(message)
    {
    }
}
