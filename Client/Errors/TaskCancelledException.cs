namespace OrleansRay;

/// <summary>The task was cancelled.</summary>
[GenerateSerializer, Alias("orleansray.TaskCancelledException")]
public sealed class TaskCancelledException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public TaskCancelledException(string message) : base(message)
    {
    }

    internal TaskCancelledException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
