namespace OrleansRay;

/// <summary>A value of a job's own code, serialized by that job's serializer: how a job's values cross the runtime.</summary>
/// <remarks>
/// A node loads each job's assemblies into a collectible load context of that job (Ray ships a job's code the same
/// way; here issue 12 and ADR 0008). The node's own Orleans serializer must never see a job's types: it would not find
/// them, and its caches would keep the job's context from unloading. So a value entering the runtime from job code (an
/// argument at <c>Remote()</c>, a put, a task's or actor method's result) is serialized where it is made, by the job's
/// serializer (the driver's own serializer on the driver), into these bytes, unless it is of a plain type (primitives,
/// strings, arrays of them); the runtime moves the bytes as they are, and the reader's job serializer turns them back
/// into a value when job code reads it. The bytes are Orleans' format of the value as <c>object</c>, the same bytes a
/// stored object holds, so a large packed value goes to the object store without another copy.
/// </remarks>
[GenerateSerializer, Immutable, Alias("orleansray.packedvalue")]
public sealed class PackedValue
{
    /// <summary>Wraps serialized bytes (not copied).</summary>
    /// <param name="bytes">The value Orleans-serialized as <c>object</c> by its job's serializer.</param>
    /// <param name="refs">The ObjectRefs the value holds, carried as live references (null when none).</param>
    public PackedValue(byte[] bytes, object[]? refs = null)
    {
        Bytes = bytes ?? throw new ArgumentNullException(nameof(bytes));
        Refs = refs;
    }

    /// <summary>The serialized value.</summary>
    [Id(0)] public byte[] Bytes { get; }

    /// <summary>The ObjectRefs inside the value, as references of their own: while the packed value lives (held by an
    /// owner, in flight), they keep their objects alive, as refs inside any value do.</summary>
    [Id(1)] public object[]? Refs { get; }

    /// <inheritdoc />
    public override string ToString() => $"PackedValue({Bytes.Length} bytes)";
}
