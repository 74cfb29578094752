namespace OrleansRay.Train;

/// <summary>Which persisted checkpoints a run keeps (Ray Train's <c>CheckpointConfig</c>).</summary>
public sealed class CheckpointConfig
{
    /// <summary>How many checkpoints to keep under the run's folder: the newest ones; older ones are deleted once a newer
    /// one is persisted. Null keeps every checkpoint. Must be at least 1 when set. Default: null, as in Ray.</summary>
    public int? NumToKeep { get; set; }
}
