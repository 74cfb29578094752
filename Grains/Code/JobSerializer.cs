using Orleans.Serialization;
using Orleans.Serialization.Codecs;

namespace OrleansRay.Code;

/// <summary>Packs and unpacks one job's values (<see cref="PackedValue"/>): on a node, with the serializer built for the
/// job's load context; in the driver, with the driver's own serializer (its types are in its default context).</summary>
internal sealed class JobSerializer
{
    private readonly HashSet<string> _assemblies;
    private long _lastUsedTicks = DateTime.UtcNow.Ticks;
    private int _running;

    /// <summary>A packer over <paramref name="serializer"/>.</summary>
    /// <param name="serializer">An Orleans serializer that knows the job's types.</param>
    /// <param name="packageId">The job's code package id.</param>
    /// <param name="envVars">The job's environment variables (Ray's <c>runtime_env.env_vars</c>); null: none.</param>
    /// <param name="assemblies">Simple names of the package's assemblies; null: none.</param>
    /// <param name="workingDirectory">The node's unpacked copy of the job's working dir; null: the job has none.</param>
    public JobSerializer(Serializer serializer, string packageId, IReadOnlyDictionary<string, string>? envVars = null, IEnumerable<string>? assemblies = null, string? workingDirectory = null)
    {
        WorkingDirectory = workingDirectory;
        Serializer = serializer;
        _assemblies = new HashSet<string>(assemblies ?? [], StringComparer.OrdinalIgnoreCase);
        PackageId = packageId;
        EnvVars = envVars ?? new Dictionary<string, string>();
        Weak = new WeakReference<JobSerializer>(this);
    }

    /// <summary>True when <paramref name="assembly"/> is one of the package's (loaded in its context, or the node's
    /// identical copy of it).</summary>
    public bool Ships(System.Reflection.Assembly assembly) =>
        assembly.GetName().Name is { } name && _assemblies.Contains(name);

    /// <summary>Runs of the package's code in progress (the invoker counts them): it is not unloaded meanwhile.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>When code of the package last started or ended, UTC ticks.</summary>
    public long LastUsedTicks => Interlocked.Read(ref _lastUsedTicks);

    /// <summary>A run of the package's code starts (no clock read: a running package is not retired, and its end
    /// marks the time).</summary>
    public void Started() => Interlocked.Increment(ref _running);

    /// <summary>A run of the package's code ended.</summary>
    public void Ended()
    {
        Interlocked.Decrement(ref _running);
        Touch();
    }

    /// <summary>Marks the package as used now.</summary>
    public void Touch() => Interlocked.Exchange(ref _lastUsedTicks, DateTime.UtcNow.Ticks);

    /// <summary>This serializer, weakly (what <see cref="CodeScope"/> keeps on a flow).</summary>
    public WeakReference<JobSerializer> Weak { get; }

    /// <summary>The job's code package id.</summary>
    public string PackageId { get; }

    /// <summary>The job's environment variables, as its tasks and actors read them.</summary>
    public IReadOnlyDictionary<string, string> EnvVars { get; }

    /// <summary>The node's unpacked copy of the job's working dir (Ray's <c>runtime_env.working_dir</c>), as its tasks and
    /// actors read it; null when the job has none.</summary>
    public string? WorkingDirectory { get; }

    /// <summary>The serializer (stored objects of this job decode with it).</summary>
    public Serializer Serializer { get; }

    /// <summary>A plain value (null, primitives, strings, arrays of them, <see cref="Unit"/>, values already packed or
    /// stored) travels as it is: every node reads it without the job's code, and the hot path of small values pays nothing.</summary>
    public static bool IsPlain(object? value)
    {
        if (value is null or string or PackedValue or StoredObject or Unit)
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

    /// <summary>The value as it travels: a plain value as it is (an array copied: the caller may change its own
    /// afterwards), anything else packed.</summary>
    /// <exception cref="ArgumentException">The value's type cannot be serialized (names it and <paramref name="what"/>).</exception>
    public object? Pack(object? value, string what)
    {
        if (IsPlain(value))
        {
            // Elements of a plain array are primitives or strings: a shallow copy is a full one.
            return value is Array array ? array.Clone() : value;
        }

        try
        {
            // The packed value's refs are references of their own (as every copy of a ref is), so disposing the caller's
            // ref never frees the object under the packed value.
            var (bytes, refs) = PackingRefs.Collect(static state => state.Serializer.SerializeToArray<object>(state.Value), (Serializer: Serializer, Value: value!));
            return new PackedValue(bytes, refs);
        }
        catch (Exception ex) when (ex is CodecNotFoundException or NotSupportedException or InvalidOperationException)
        {
            throw Unserializable(value!.GetType(), what, ex);
        }
    }

    /// <summary>The value <paramref name="value"/> carries: a fresh copy for a packed value, else itself.</summary>
    public object? Unpack(object? value) => value is PackedValue packed ? Serializer.Deserialize<object>(packed.Bytes) : value;

    /// <summary>The error for a value whose type Orleans cannot serialize, naming the type and what to use instead.</summary>
    public static ArgumentException Unserializable(Type type, string what, Exception cause) => new(
        $"The {what} of type {type.FullName} cannot be serialized. {SerializableTypes} ({cause.Message})", cause)
    {
        Data = { [UnserializableKey] = type.FullName },
    };

    /// <summary>The <see cref="Exception.Data"/> key that marks <see cref="Unserializable"/>'s exceptions (its value is the
    /// type's name), so code wrapping a call (a queue's put) tells them from other argument errors while the type
    /// thrown stays a plain <see cref="ArgumentException"/>, as documented.</summary>
    internal const string UnserializableKey = "orleansray.unserializable";

    /// <summary>What to use instead of a type Orleans cannot serialize.</summary>
    internal const string SerializableTypes = "Use primitives, strings, arrays, List<T>, Dictionary<K,V>, tuples, " +
        "ObjectRef<T>, ActorHandle<T>, or mark the type [GenerateSerializer] with [Id(n)] on its members (Orleans' convention).";
}
