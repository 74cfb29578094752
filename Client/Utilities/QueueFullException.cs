namespace OrleansRay;

/// <summary>A <see cref="RayQueue{T}"/> put found no room: the queue was full (a <c>PutNowait</c>, or a <c>PutAsync</c> whose timeout ran out); Ray's <c>ray.util.queue.Full</c>.</summary>
[GenerateSerializer, Alias("orleansray.QueueFullException")]
public sealed class QueueFullException : RayException
{
    /// <summary>Creates the exception with a message that says what happened.</summary>
    public QueueFullException(string message) : base(message)
    {
    }
}
