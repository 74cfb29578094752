namespace OrleansRay;

/// <summary>Everything needed to (re)construct an actor on a node.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.actorspec")]
public sealed record ActorCreationSpec
{
    [Id(0)] public ActorId ActorId { get; init; }
    [Id(1)] public FunctionDescriptor Constructor { get; init; } = null!;
    [Id(2)] public TaskArg[] Args { get; init; } = Array.Empty<TaskArg>();
    [Id(3)] public ActorOptionsData Options { get; init; } = new();
    /// <summary>The job the actor belongs to, by its driver's worker id: the creating driver's, or the job of the task
    /// or actor method that created it; empty for none (created by a detached actor). Unless detached, the actor dies
    /// when that job ends.</summary>
    [Id(4)] public WorkerId Owner { get; init; }
    [Id(5)] public string ClassName { get; init; } = string.Empty;

    /// <summary>For an actor behind a grain interface: the Orleans grain type of its implementation (then there is no
    /// <see cref="Constructor"/>: the grain activation is the instance). Null for a class actor.</summary>
    [Id(6)] public string? GrainType { get; init; }
}
