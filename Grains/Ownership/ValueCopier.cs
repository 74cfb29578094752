using Orleans.Serialization;
using Orleans.Serialization.Codecs;

namespace OrleansRay.Ownership;

/// <summary>Copies values with Orleans' deep copier, so a task never sees its caller's mutable object and an
/// unserializable value is refused where it is passed in (Remote/Put), naming its type.</summary>
/// <remarks>Orleans' copier returns immutable values (primitives, strings, [Immutable] types) as they are, so this is
/// nearly free for the common small arguments.</remarks>
internal sealed class ValueCopier
{
    private readonly DeepCopier _copier;

    public ValueCopier(DeepCopier copier, Serializer serializer)
    {
        _copier = copier;
        Serializer = serializer;
    }

    /// <summary>Orleans' serializer (values held for remote owners travel as its bytes).</summary>
    public Serializer Serializer { get; }

    /// <summary>Copies a value passed in by user code.</summary>
    /// <exception cref="ArgumentException">The value's type has no Orleans codec.</exception>
    public object? CopyIn(object? value, string what)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return _copier.Copy(value);
        }
        catch (Exception ex) when (ex is CodecNotFoundException or NotSupportedException or InvalidOperationException)
        {
            throw Unserializable(value.GetType(), what, ex);
        }
    }

    /// <summary>The error for a value whose type Orleans cannot serialize, naming the type and what to use instead.</summary>
    public static ArgumentException Unserializable(Type type, string what, Exception cause) => new(
        $"The {what} of type {type.FullName} cannot be serialized. Use primitives, strings, arrays, List<T>, Dictionary<K,V>, tuples, " +
        $"ObjectRef<T>, ActorHandle<T>, or mark the type [GenerateSerializer] with [Id(n)] on its members (Orleans' convention). ({cause.Message})", cause);

    /// <summary>Copies a stored value out to a reader.</summary>
    public object? CopyOut(object? value) => value is null ? null : _copier.Copy(value);
}
