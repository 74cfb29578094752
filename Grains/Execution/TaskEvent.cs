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
