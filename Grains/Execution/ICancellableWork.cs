namespace OrleansRay.Execution;

/// <summary>Work whose cancellation code running inside it can observe (a task: Ray's <c>ray.cancel</c>).</summary>
internal interface ICancellableWork
{
    /// <summary>Cancelled when the work is cancelled; <see cref="CancellationToken.None"/> when it cannot be.</summary>
    CancellationToken CancellationToken { get; }
}
