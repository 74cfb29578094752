namespace OrleansRay.Execution;

/// <summary>One finished task as the dashboard lists it (a struct: the log keeps them in its ring without an object per task).</summary>
/// <param name="TaskId">The task's id text.</param>
/// <param name="Function">The function's display name.</param>
/// <param name="Node">The node it ran on.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Error">The error's one-line description when it failed; null when it succeeded.</param>
internal readonly record struct TaskEvent(TaskId TaskId, string Function, string Node, DateTimeOffset FinishedAt, TimeSpan Duration, string? Error);
