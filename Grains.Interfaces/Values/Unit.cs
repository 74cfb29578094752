namespace OrleansRay;

/// <summary>The value of a task or actor method that returns nothing (<c>void</c>, <see cref="Task"/> or
/// <see cref="ValueTask"/>): Ray's <c>None</c>. It has one value, <see cref="Value"/>, and carries no information; its
/// ref (an <c>ObjectRef&lt;Unit&gt;</c>) completes when the function has finished, and reading it
/// throws the function's error as for any task (<c>RayTaskException</c>, ...).</summary>
/// <remarks>The name is .NET's for a type of one value standing for "no result" (F#'s <c>unit</c>, Rx's and MediatR's
/// <c>Unit</c>); why not <c>None</c>, <c>object?</c> or the non-generic <c>ObjectRef</c>: docs/adr/0032-void-functions-return-unit.md.
/// Every <see cref="Unit"/> equals every other. It is serializable, so an <c>ObjectRef&lt;Unit&gt;</c> passed to a task
/// whose parameter is a <see cref="Unit"/> makes that task wait for the first to finish (Ray's way of ordering tasks by
/// passing a <c>None</c> ref).</remarks>
[GenerateSerializer, Immutable, Alias("orleansray.unit")]
public readonly struct Unit : IEquatable<Unit>
{
    /// <summary>The one value (the same as <c>default</c>).</summary>
    public static Unit Value => default;

    /// <summary>The one value, boxed once: what a function returning nothing gives its caller, without a box per call.</summary>
    internal static readonly object Boxed = default(Unit);

    /// <summary>Always true: there is one <see cref="Unit"/>.</summary>
    public static bool operator ==(Unit left, Unit right) => true;

    /// <summary>Always false: there is one <see cref="Unit"/>.</summary>
    public static bool operator !=(Unit left, Unit right) => false;

    /// <summary>Always true: there is one <see cref="Unit"/>.</summary>
    public bool Equals(Unit other) => true;

    /// <summary>True for any <see cref="Unit"/>.</summary>
    public override bool Equals(object? obj) => obj is Unit;

    /// <summary>0.</summary>
    public override int GetHashCode() => 0;

    /// <summary>"()", as F# and Rx print their unit.</summary>
    public override string ToString() => "()";
}
