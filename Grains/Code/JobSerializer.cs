using Orleans.Serialization;
using Orleans.Serialization.Codecs;

namespace OrleansRay.Code;

/// <summary>Packs and unpacks one job's values (<see cref="PackedValue"/>): on a node, with the serializer built for the
/// job's load context; in the driver, with the driver's own serializer (its types are in its default context).</summary>
internal sealed class JobSerializer
{
    private readonly Serializer _serializer;

    /// <summary>A packer over <paramref name="serializer"/>.</summary>
    /// <param name="serializer">An Orleans serializer that knows the job's types.</param>
    /// <param name="packageId">The job's code package id.</param>
    /// <param name="envVars">The job's environment variables (Ray's <c>runtime_env.env_vars</c>); null: none.</param>
    public JobSerializer(Serializer serializer, string packageId, IReadOnlyDictionary<string, string>? envVars = null)
    {
        _serializer = serializer;
        PackageId = packageId;
        EnvVars = envVars ?? new Dictionary<string, string>();
        Weak = new WeakReference<JobSerializer>(this);
    }

    /// <summary>This serializer, weakly (what <see cref="CodeScope"/> keeps on a flow).</summary>
    public WeakReference<JobSerializer> Weak { get; }

    /// <summary>The job's code package id.</summary>
    public string PackageId { get; }

    /// <summary>The job's environment variables, as its tasks and actors read them.</summary>
    public IReadOnlyDictionary<string, string> EnvVars { get; }

    /// <summary>The serializer (stored objects of this job decode with it).</summary>
    public Serializer Serializer => _serializer;

    /// <summary>A plain value (null, primitives, strings, arrays of them, values already packed or stored) travels as
    /// it is: every node reads it without the job's code, and the hot path of small values pays nothing.</summary>
    public static bool IsPlain(object? value)
    {
        if (value is null or string or PackedValue or StoredObject)
        {
            return true;
        }

        var type = value.GetType();
        if (type.IsPrimitive || type == typeof(decimal) || type == typeof(Guid) || type == typeof(DateTime)
            || type == typeof(TimeSpan) || type == typeof(DateTimeOffset))
        {
            return type.Assembly == typeof(object).Assembly;
        }

        return type.IsSZArray && type.GetElementType() is { } element
            && (element.IsPrimitive || element == typeof(string)) && element.Assembly == typeof(object).Assembly;
    }

    /// <summary>The value as it travels: itself when plain, else packed.</summary>
    /// <exception cref="ArgumentException">The value's type cannot be serialized (names it and <paramref name="what"/>).</exception>
    public object? Pack(object? value, string what)
    {
        if (IsPlain(value))
        {
            return value;
        }

        try
        {
            var (bytes, refs) = PackingRefs.Collect(static state => state.Serializer.SerializeToArray<object>(state.Value), (Serializer: _serializer, Value: value!));
            // The packed value's refs are references of their own (a copy each, as every copy of a ref is), so disposing
            // the caller's ref never frees the object under the packed value.
            return new PackedValue(bytes, refs is null ? null : _serializer.Deserialize<object[]>(_serializer.SerializeToArray(refs)));
        }
        catch (Exception ex) when (ex is CodecNotFoundException or NotSupportedException or InvalidOperationException)
        {
            throw Unserializable(value!.GetType(), what, ex);
        }
    }

    /// <summary>The value <paramref name="value"/> carries: a fresh copy for a packed value, else itself.</summary>
    public object? Unpack(object? value) => value is PackedValue packed ? _serializer.Deserialize<object>(packed.Bytes) : value;

    /// <summary>The error for a value whose type Orleans cannot serialize, naming the type and what to use instead.</summary>
    public static ArgumentException Unserializable(Type type, string what, Exception cause) => new(
        $"The {what} of type {type.FullName} cannot be serialized. Use primitives, strings, arrays, List<T>, Dictionary<K,V>, tuples, " +
        $"ObjectRef<T>, ActorHandle<T>, or mark the type [GenerateSerializer] with [Id(n)] on its members (Orleans' convention). ({cause.Message})", cause);
}
