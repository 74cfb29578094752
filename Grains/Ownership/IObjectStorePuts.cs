using System.Buffers;

namespace OrleansRay.Ownership;

/// <summary>Where a runtime puts its values above the inline threshold: its own node's store (<see cref="LocalObjectStore"/>),
/// or, for a connected driver without one, the store of the node it connected through (<see cref="NodeStorePuts"/>).
/// Either way the runtime owns the object, and the <see cref="StoredObject"/> a put returns is what its entry holds.</summary>
internal interface IObjectStorePuts
{
    /// <summary>Values above this many bytes go to the store (<see cref="NodeRuntimeOptions.InlineThreshold"/>).</summary>
    long InlineThreshold { get; }

    /// <summary>True when <paramref name="value"/> goes to the store (see <see cref="LocalObjectStore.IsLarge(object?, long)"/>).</summary>
    bool IsLarge(object? value);

    /// <summary>Puts a large value as object <paramref name="id"/>, sealed when this completes.</summary>
    /// <param name="id">The new object's id.</param>
    /// <param name="value">The value: a raw array goes in as its elements' bytes, anything else Orleans-serialized.</param>
    /// <param name="what">What the value is, for messages ("value put", "argument 1 of F").</param>
    /// <param name="cancellationToken">Cancels the put.</param>
    /// <exception cref="ArgumentException">The value cannot be serialized (names the type), or is over 2 GiB.</exception>
    /// <exception cref="OrleansRay.ObjectStore.ObjectStoreFullException">The store could not make room for it.</exception>
    /// <exception cref="OrleansRay.ObjectStore.ObjectStoreException">The store refused it or could not be reached.</exception>
    ValueTask<StoredObject> PutAsync(ObjectId id, object value, string what, CancellationToken cancellationToken);

    /// <summary>Puts a <typeparamref name="T"/>[<paramref name="length"/>] whose elements <paramref name="fill"/> writes.</summary>
    /// <exception cref="FillFailedException"><paramref name="fill"/> threw (its exception inside); nothing was stored.</exception>
    /// <exception cref="ArgumentException">The array is over 2 GiB.</exception>
    ValueTask<StoredObject> PutFilledAsync<T, TState>(ObjectId id, int length, TState state, SpanAction<T, TState> fill, CancellationToken cancellationToken)
        where T : unmanaged;
}
