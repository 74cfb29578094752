namespace OrleansRay;

/// <summary>A handle to an actor of class <typeparamref name="TActor"/>: call it with <c>handle.Task(x =&gt; x.Method(...)).Remote()</c>.</summary>
/// <remarks>Serializable: pass it to tasks and other actors. A handle that crossed to another task or actor submits
/// through <see cref="Ray.Current"/> there.</remarks>
[GenerateSerializer, Immutable, Alias("orleansray.ActorHandle`1")]
public sealed partial class ActorHandle<TActor> : IEquatable<ActorHandle<TActor>> where TActor : class
{
    [NonSerialized]
    private readonly IRay? _boundRay;

    internal ActorHandle(ActorId actorId, string className, IRay? boundRay = null)
    {
        ActorId = actorId;
        ClassName = className;
        _boundRay = boundRay;
    }

    /// <summary>The instance that created or looked up this handle; null for a handle that crossed the wire
    /// (then calls go through the current task's node, or <see cref="Ray.Current"/>).</summary>
    internal IRay? BoundRay => _boundRay;

    /// <summary>The actor's id.</summary>
    [Id(0)] public ActorId ActorId { get; private set; }

    /// <summary>Full name of the actor's class.</summary>
    [Id(1)] public string ClassName { get; private set; }

    /// <inheritdoc />
    public bool Equals(ActorHandle<TActor>? other) => other is not null && other.ActorId == ActorId;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActorHandle<TActor> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => ActorId.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"Actor({typeof(TActor).Name}, {ActorId})";
}
