namespace OrleansRay;

/// <summary>The outcome of <see cref="IRay.WaitAsync{TRef}"/>: refs ready and not ready, each in input order.</summary>
/// <param name="Ready">At most numReturns refs whose objects are ready.</param>
/// <param name="NotReady">The rest.</param>
public sealed record WaitResult<TRef>(IReadOnlyList<TRef> Ready, IReadOnlyList<TRef> NotReady) where TRef : ObjectRef;
