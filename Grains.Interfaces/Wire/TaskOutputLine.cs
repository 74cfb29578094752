namespace OrleansRay;

/// <summary>One line of task output, without its line break.</summary>
/// <param name="Name">Where it was written: the function's display name, or the actor's class name (as Ray).</param>
/// <param name="IsError">Written to standard error (else standard output).</param>
/// <param name="Text">The line.</param>
[GenerateSerializer, Immutable, Alias("orleansray.taskoutputline")]
public sealed record TaskOutputLine(
    [property: Id(0)] string Name,
    [property: Id(1)] bool IsError,
    [property: Id(2)] string Text);
