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

    /// <summary>The value as a <see cref="Task{TResult}"/>, for code that needs a task rather than an awaitable:
    /// <c>r.AsTask().WaitAsync(timeout)</c>, <c>Task.WhenAny(r.AsTask(), other)</c>, <c>ContinueWith</c>. The same read as
    /// <c>await r</c> and as <c>ray.GetAsync(r).AsTask()</c> on the driver that made the ref: it reads through the
    /// OrleansRay instance this ref belongs to (the one that made it, or, for a ref that came from another process, the
    /// one that received it), never through <see cref="Ray.Current"/>. Each call starts a read of its own and gets its
    /// own copy of the value.</summary>
    /// <remarks>Every failure is the task's, never thrown by this call itself: the task faults with what
    /// <see cref="IRay.GetAsync{T}(ObjectRef{T}, CancellationToken)"/> throws (<see cref="RayTaskException"/> when the
    /// task threw, <see cref="TaskCancelledException"/> after a cancel, <see cref="ActorDiedException"/>,
    /// <see cref="ObjectLostException"/>, <see cref="ObjectStoreFullRayException"/>, or
    /// <see cref="ObjectDisposedException"/> when that instance has shut down). To stop waiting, pass a token or a
    /// timeout to <c>WaitAsync</c>: that abandons the wait, not the task (cancel the task with
    /// <c>ray.CancelAsync(r)</c>); or call <c>ray.GetAsync(r, timeout)</c>, which throws <see cref="GetTimeoutException"/>.</remarks>
    public Task<T> AsTask()
    {
        try
        {
            return ObjectResolver.GetAsync(this, null, CancellationToken.None).AsTask();
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    /// <summary>Waits for the value without capturing the synchronization context.</summary>
    public ConfiguredValueTaskAwaitable<T> ConfigureAwait(bool continueOnCapturedContext) =>
        ObjectResolver.GetAsync(this, null, CancellationToken.None).ConfigureAwait(continueOnCapturedContext);
}
