using System.ComponentModel;
using OrleansRay.Node;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>Orleans serialization hooks of <see cref="ObjectRef{T}"/>: distributed reference counting for refs that
/// cross processes. Public only because Orleans' generated codec takes it; not for application use.</summary>
/// <remarks>
/// Serializing a ref whose owner is in this process pins the object for <see cref="ObjectRef.TransitGrace"/>, long
/// enough for the receiver to register as a borrower (Ray's borrower protocol, simplified). A ref deserialized away
/// from its owner registers as a borrower, and its collection (or Dispose) unregisters; one deserialized at home
/// counts as a local handle again. A ref deep-copied in this process (values put, passed, or returned go through
/// Orleans' copier) is counted the same way: each copy is a handle of its own.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ObjectRefSerializationHooks
{
    private readonly IServiceProvider _services;
    private ObjectReader? _local;

    /// <summary>Created by the silo's or client's service provider, which also holds the runtime whose refs these are.</summary>
    /// <param name="services">The service provider of the silo or client.</param>
    public ObjectRefSerializationHooks(IServiceProvider services)
    {
        _services = services;
    }

    /// <summary>The reader of this silo's or client's runtime (resolved at the first ref read: the runtime is built
    /// after the serializer).</summary>
    private ObjectReader? Local
    {
        get
        {
            if (!_resolved)
            {
                _local = (_services.GetService(typeof(NodeRuntime)) as NodeRuntime)?.Reader;
                _resolved = true; // a process without a runtime (a plain client) asks once, not per ref
            }

            return _local;
        }
    }

    private volatile bool _resolved;

    /// <summary>Called by Orleans before a ref is written.</summary>
    public void OnSerializing(ObjectRef value)
    {
        ObjectRef.OnSerializing(value);
        if (Code.PackingRefs.IsCollecting)
        {
            // Packing a job's value: the packed value carries a reference of its own to this object, untyped.
            Code.PackingRefs.Written(ObjectRef.Untyped(value, Local));
        }
    }

    /// <summary>Called by Orleans after a ref is read.</summary>
    public void OnDeserialized(ObjectRef value) => ObjectRef.OnDeserialized(value, Local);

    /// <summary>Called by Orleans' copier after a ref is copied: the copy is a reference of its own.</summary>
    public void OnCopied(ObjectRef original, ObjectRef copy)
    {
        original.Share(); // the copy counts itself at the owner's table by id
        ObjectRef.OnDeserialized(copy, Local);
    }
}
