namespace OrleansRay;

/// <summary>One argument of a task or actor call: an inline value, or the id of an object to resolve first.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.arg")]
public readonly record struct TaskArg
{
    /// <summary>An inline value.</summary>
    public static TaskArg FromValue(object? value) => new() { Value = value };

    /// <summary>An object to resolve before the call; <paramref name="handle"/> keeps the caller's ref alive meanwhile.</summary>
    public static TaskArg FromRef(ObjectId id, object? handle) => new() { RefId = id, Value = handle };

    /// <summary>The inline value, or (for a ref argument) the caller's ObjectRef handle.</summary>
    [Id(0)] public object? Value { get; init; }

    /// <summary>The object to resolve; empty for an inline value.</summary>
    [Id(1)] public ObjectId RefId { get; init; }

    /// <summary>True when this argument is an object to resolve.</summary>
    public bool IsRef => !RefId.IsEmpty;
}
