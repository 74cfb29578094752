namespace OrleansRay.Execution;

/// <summary>One finished task as the dashboard lists it.</summary>
/// <param name="TaskId">The task's id text.</param>
/// <param name="Function">The function's display name.</param>
/// <param name="Node">The node it ran on.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Error">The error's one-line description when it failed; null when it succeeded.</param>
internal sealed record TaskEvent(TaskId TaskId, string Function, string Node, DateTimeOffset FinishedAt, TimeSpan Duration, string? Error);
