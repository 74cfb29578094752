namespace OrleansRay;

/// <summary>A <see cref="RayQueue{T}"/> get found no item: the queue was empty (a <c>GetNowait</c>, or a <c>GetAsync</c> whose timeout ran out); Ray's <c>ray.util.queue.Empty</c>.</summary>
[GenerateSerializer, Alias("orleansray.QueueEmptyException")]
public sealed class QueueEmptyException : RayException
{
    /// <summary>Creates the exception with a message that says what happened.</summary>
    public QueueEmptyException(string message) : base(message)
    {
    }
}
