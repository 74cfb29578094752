namespace OrleansRay.Train.Collective;

/// <summary>One message of a collective operation between two ranks of a group: the unit a worker actor's inbox
/// method receives and hands to the process-local inbox. Serializable as an actor-call argument.</summary>
/// <remarks>A payload travels either inline (<see cref="Value"/>, small data) or as an object-store reference
/// (<see cref="Ref"/>, large buffers: the receiver fetches it from the store, pulled from the sender's node when the
/// ranks are on different nodes). Messages are matched by (<see cref="GroupId"/>, <see cref="ToRank"/>,
/// <see cref="FromRank"/>, <see cref="Sequence"/>, <see cref="Step"/>), so consecutive or interleaved collectives never
/// mix. Users do not build these: the communicator does.</remarks>
[GenerateSerializer, Alias("orleansray.train.CollectiveMessage")]
public sealed class CollectiveMessage
{
    /// <summary>The group the two ranks belong to (one training attempt's worker group).</summary>
    [Id(0)] public string GroupId { get; init; } = "";

    /// <summary>The sending rank (0-based).</summary>
    [Id(1)] public int FromRank { get; init; }

    /// <summary>The receiving rank (0-based).</summary>
    [Id(2)] public int ToRank { get; init; }

    /// <summary>Which collective of the group this belongs to: the n-th collective every rank calls (1-based).</summary>
    [Id(3)] public long Sequence { get; init; }

    /// <summary>The step within the collective (its protocol's round).</summary>
    [Id(4)] public int Step { get; init; }

    /// <summary>The payload carried inline, or null.</summary>
    [Id(5)] public object? Value { get; init; }

    /// <summary>The payload as an object-store reference, or null.</summary>
    [Id(6)] public ObjectRef? Ref { get; init; }

    /// <summary>The sender's buffer length in elements (checked by the receiver: every rank must pass the same).</summary>
    [Id(7)] public int Length { get; init; }

    /// <summary>Non-null when the sender aborted the collective: why (the receiver's wait then fails with it).</summary>
    [Id(8)] public string? Error { get; init; }

    /// <summary>The lengths of the sender's tensor (an allreduce of a <c>Tensor&lt;T&gt;</c>), or null for an array
    /// (checked by the receiver with <see cref="Length"/>: every rank must pass the same shape).</summary>
    [Id(9)] public long[]? Shape { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"collective message {GroupId} #{Sequence}.{Step} {FromRank}->{ToRank}" + (Error is null ? "" : $" (abort: {Error})");
}
