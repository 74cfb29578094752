using System.Runtime.CompilerServices;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>A typed reference to an object of type <typeparamref name="T"/>. Awaitable: <c>await r</c> is <c>ray.GetAsync(r)</c>.</summary>
[GenerateSerializer, Alias("orleansray.ObjectRef`1")]
[SerializationCallbacks(typeof(ObjectRefSerializationHooks))]
public sealed class ObjectRef<T> : ObjectRef
{
    internal ObjectRef(ObjectId id, WorkerId owner, ObjectReader? ownerReader) : base(id, owner, ownerReader)
    {
    }

    /// <summary>Waits for the value (see <see cref="IRay.GetAsync{T}(ObjectRef{T}, CancellationToken)"/>).</summary>
    public ValueTaskAwaiter<T> GetAwaiter() => ObjectResolver.GetAsync(this, null, CancellationToken.None).GetAwaiter();

    /// <summary>Waits for the value without capturing the synchronization context.</summary>
    public ConfiguredValueTaskAwaitable<T> ConfigureAwait(bool continueOnCapturedContext) =>
        ObjectResolver.GetAsync(this, null, CancellationToken.None).ConfigureAwait(continueOnCapturedContext);
}
