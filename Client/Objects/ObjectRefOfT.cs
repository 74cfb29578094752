using System.Runtime.CompilerServices;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>A typed reference to an object of type <typeparamref name="T"/>. Awaitable: <c>await r</c> is <c>ray.GetAsync(r)</c>.</summary>
[GenerateSerializer, Alias("orleansray.ObjectRef`1")]
[SerializationCallbacks(typeof(ObjectRefSerializationHooks))]
public sealed class ObjectRef<T> : ObjectRef
{
    /// <param name="id">The object's id.</param>
    /// <param name="owner">The worker that owns it.</param>
    /// <param name="ownerReader">The owner's reader, when the ref is made in the owner's process.</param>
    /// <param name="detachable">True for the one ref an owner's submit or put returns for a new object: it may hold its
    /// entry alone after its first read (<see cref="ObjectRef.DetachAfterRead"/>).</param>
    internal ObjectRef(ObjectId id, WorkerId owner, ObjectReader? ownerReader, bool detachable = false) : base(id, owner, ownerReader, detachable)
    {
    }

    /// <summary>Waits for the value (see <see cref="IRay.GetAsync{T}(ObjectRef{T}, CancellationToken)"/>).</summary>
    public ValueTaskAwaiter<T> GetAwaiter() => ObjectResolver.GetAsync(this, null, CancellationToken.None).GetAwaiter();

    /// <summary>Waits for the value without capturing the synchronization context.</summary>
    public ConfiguredValueTaskAwaitable<T> ConfigureAwait(bool continueOnCapturedContext) =>
        ObjectResolver.GetAsync(this, null, CancellationToken.None).ConfigureAwait(continueOnCapturedContext);
}
