namespace OrleansRay;

public sealed partial class ActorPool<TActor>
{
    /// <summary>One call given to the pool: waiting for an actor, running, or finished; read or not.</summary>
    /// <remarks>The node fields are the pool's, changed under its lock.</remarks>
    private abstract class PoolSubmission(bool mapped)
    {
        /// <summary>Made by a map, which reads it itself: not in the pool's unread list.</summary>
        public bool Mapped { get; } = mapped;

        /// <summary>Its map ended before it started: it never will.</summary>
        public bool Abandoned { get; set; }

        /// <summary>Its place in the submission order while unread.</summary>
        public LinkedListNode<PoolSubmission>? UnreadNode { get; set; }

        /// <summary>Its place in the completion order while finished and unread.</summary>
        public LinkedListNode<PoolSubmission>? FinishedNode { get; set; }

        public abstract Type ResultType { get; }

        /// <summary>Sends the call to <paramref name="actor"/> and calls <paramref name="finished"/> once it has finished.</summary>
        /// <exception cref="Exception">The call could not be sent (e.g. its argument cannot be serialized).</exception>
        public abstract void Start(ActorHandle<TActor> actor, Action<PoolSubmission, ActorHandle<TActor>?> finished);

        /// <summary>The call could not be sent: that is its result.</summary>
        public abstract void Fail(Exception error);
    }

    private sealed class PoolSubmission<TResult>(Func<ActorHandle<TActor>, ObjectRef<TResult>> call, bool mapped) : PoolSubmission(mapped)
    {
        /// <summary>The call's value or error, once it has finished.</summary>
        public TaskCompletionSource<TResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Type ResultType => typeof(TResult);

        public override void Start(ActorHandle<TActor> actor, Action<PoolSubmission, ActorHandle<TActor>?> finished)
        {
            var result = call(actor);
            _ = ObserveAsync(result, actor, finished);
        }

        public override void Fail(Exception error) => Result.TrySetException(error);

        private async Task ObserveAsync(ObjectRef<TResult> result, ActorHandle<TActor> actor, Action<PoolSubmission, ActorHandle<TActor>?> finished)
        {
            try
            {
                Result.TrySetResult(await result.ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                // Reported where the result is read (GetNext, or the map at its position).
                Result.TrySetException(ex);
            }

            finished(this, actor);
        }
    }
}
