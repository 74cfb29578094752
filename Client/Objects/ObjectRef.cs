using OrleansRay.Objects;

namespace OrleansRay;

/// <summary>A reference to an object in the cluster: a task's result or a put value. The base of <see cref="ObjectRef{T}"/>, for mixed lists.</summary>
/// <remarks>
/// Serializable (pass it to tasks, keep it in actors, put it inside other objects). The object lives while a ref to it
/// lives: when the last ref in the owner's process is collected or disposed, the object is freed.
/// </remarks>
[GenerateSerializer, Immutable, Alias("orleansray.ObjectRef")]
public abstract class ObjectRef : IEquatable<ObjectRef>, IDisposable
{
    [NonSerialized]
    private ObjectTable? _ownerTable;

    private protected ObjectRef(ObjectId id, WorkerId owner, ObjectTable? ownerTable)
    {
        Id = id;
        Owner = owner;
        _ownerTable = ownerTable;
    }

    /// <summary>The object's id.</summary>
    [Id(0)] public ObjectId Id { get; private set; }

    /// <summary>The worker that owns the object (its submitter).</summary>
    [Id(1)] public WorkerId Owner { get; private set; }

    /// <summary>Releases this handle now instead of when it is collected. Reading through it afterwards is undefined.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _ownerTable, null)?.ReleaseHandle(Id);
        GC.SuppressFinalize(this);
    }

    /// <summary>Counts the handle out when it is collected (Ray's Java API does the same with a cleaner).</summary>
    ~ObjectRef()
    {
        _ownerTable?.ReleaseHandle(Id);
    }

    /// <inheritdoc />
    public bool Equals(ObjectRef? other) => other is not null && other.Id == Id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ObjectRef other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Id.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"ObjectRef({Id})";
}
