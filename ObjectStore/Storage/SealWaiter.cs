namespace OrleansRay.ObjectStore.Storage;

/// <summary>Gets waiting for one id to be sealed; removed when sealed or when its last getter gives up (so absent ids leave nothing behind).</summary>
internal sealed class SealWaiter
{
    public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Getters currently waiting; guarded by the store's table lock.</summary>
    public int Waiters { get; set; }
}
