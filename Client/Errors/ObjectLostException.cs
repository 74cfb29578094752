namespace OrleansRay;

/// <summary>Every copy of the object is gone and it could not be rebuilt (Ray's <c>ObjectLostError</c> family): thrown
/// by <c>GetAsync</c>, <c>await ref</c> and <c>GetBufferAsync</c>, and by a task whose argument it was.</summary>
/// <remarks>An object lost with a node is normally rebuilt by running the task that made it again (lineage, within the
/// task's <c>MaxRetries</c>). The message says which case prevented that: the object was put (<c>PutAsync</c>: no task
/// to run again), it was an actor call's result, its task has <c>MaxRetries = 0</c> or used its retries, its owner died
/// (a borrowed ref whose owner cannot be reached), or every ref to it was released.</remarks>
[GenerateSerializer, Alias("orleansray.ObjectLostException")]
public sealed class ObjectLostException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public ObjectLostException(string message) : base(message)
    {
    }

    internal ObjectLostException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
