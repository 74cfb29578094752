namespace OrleansRay.Ownership;

/// <summary>One consistent view of an <see cref="ObjectEntry"/> (<see cref="ObjectEntry.Read"/>): exactly one of an
/// inline value, a stored object or an error when complete; nothing when pending.</summary>
/// <param name="IsComplete">False while the object is pending (being made, or rebuilt).</param>
/// <param name="Value">The inline value (when neither stored nor failed).</param>
/// <param name="Stored">Where the object is stored, or null.</param>
/// <param name="Error">The error of a failed object, or null.</param>
internal readonly record struct ObjectOutcome(bool IsComplete, object? Value, StoredObject? Stored, RayError? Error);
