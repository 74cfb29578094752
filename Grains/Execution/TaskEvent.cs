namespace OrleansRay.Execution;

/// <summary>One finished task as the dashboard lists it (a struct: the log keeps them in its ring without an object per task).</summary>
/// <param name="TaskId">The task's id text.</param>
/// <param name="Function">The function's display name.</param>
/// <param name="Node">The node it ran on.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Error">The error's one-line description when it failed; null when it succeeded.</param>
/// <param name="Attempt">The attempt that finished, 0 for the first run (Ray's <c>attempt_number</c>); -1 when not known.</param>
/// <param name="JobDriver">The job it belonged to, by its driver's worker id (<see cref="Scheduling.TaskSpec.JobDriver"/>);
/// empty when none or not known.</param>
internal readonly record struct TaskEvent(TaskId TaskId, string Function, string Node, DateTimeOffset FinishedAt, TimeSpan Duration, string? Error, int Attempt = -1, WorkerId JobDriver = default);

/// <summary>How the finished-task log writes a task's error (<see cref="TaskEvent.Error"/>), which the state API splits
/// into <c>error_type</c> and <c>error_message</c>.</summary>
internal static class TaskEventErrors
{
    /// <summary>The <c>error_type</c> of a cancelled task: the exception its reader gets (Ray's <c>TASK_CANCELLED</c>).</summary>
    public const string CancelledType = "OrleansRay.TaskCancelledException";

    /// <summary>The <c>error_type</c> of a task that failed because the node running it died (Ray's <c>NODE_DIED</c>):
    /// its owner writes the row, naming the dead node, and lists it, since that node's own log died with it.</summary>
    public const string NodeDiedType = "OrleansRay.NodeDiedException";

    /// <summary>True when <paramref name="e"/> is a failure because the node that ran it died.</summary>
    public static bool IsNodeDied(in TaskEvent e) => e.Error is { } error && error.StartsWith(NodeDiedType + ": ", StringComparison.Ordinal);

    /// <summary>"{type}: {message}": the type is the full name of the exception the code threw, or, for a failure no code
    /// threw (a cancel, a lost node or object), of the public exception a reader of the task's result gets. A cancelled
    /// task is always of <see cref="CancelledType"/>.</summary>
    public static string Describe(RayError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var type = error.Kind switch
        {
            RayErrorKind.Cancelled => CancelledType,
            _ when error.ExceptionType.Length > 0 => error.ExceptionType,
            RayErrorKind.ActorDied => "OrleansRay.ActorDiedException",
            RayErrorKind.ObjectLost => "OrleansRay.ObjectLostException",
            RayErrorKind.NodeDied => NodeDiedType,
            RayErrorKind.FunctionUnavailable => "OrleansRay.RemoteFunctionNotFoundException",
            RayErrorKind.ClusterLost => "OrleansRay.ClusterLostException",
            _ => "OrleansRay.RayTaskException",
        };
        return $"{type}: {error.Message}";
    }
}
