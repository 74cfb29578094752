using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using OrleansRay.Code;
using OrleansRay.Transport;

namespace OrleansRay.Ownership;

/// <summary>Copies values with Orleans' deep copier, so a task never sees its caller's mutable object and an
/// unserializable value is refused where it is passed in (Remote/Put), naming its type.</summary>
/// <remarks>Orleans' copier returns immutable values (primitives, strings, [Immutable] types) as they are, so this is
/// nearly free for the common small arguments.</remarks>
internal sealed class ValueCopier
{
    private readonly DeepCopier _copier;
    private readonly IDeepCopierProvider _copiers;

    public ValueCopier(DeepCopier copier, Serializer serializer, IDeepCopierProvider copiers)
    {
        _copier = copier;
        _copiers = copiers;
        Serializer = serializer;
        System = new JobSerializer(serializer, string.Empty);
    }

    /// <summary>Unpacks with the node's own serializer: for code the node has itself (it knows those types).</summary>
    public JobSerializer System { get; }

    /// <summary>The serializer of this process's own job code, in a driver that ships its code (its connected
    /// runtime): values its code passes in are packed, as job code's values are on the nodes. Null otherwise.</summary>
    public JobSerializer? DriverCode { get; set; }

    /// <summary>The job code running here: the current task's or method's job on a node, else the driver's own.</summary>
    private JobSerializer? CurrentCode => CodeScope.Current ?? DriverCode;

    /// <summary>True when <see cref="CopyIn"/> here packs values (serializes them with the running job code's
    /// serializer) rather than deep-copying them.</summary>
    public bool PacksValues => CurrentCode is not null;

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

        if (CurrentCode is { } code)
        {
            // Job code's values travel packed (serialized here, by the job's serializer): a copy, and no node's own
            // serializer ever meets the job's types.
            return code.Pack(value, what);
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
    public static ArgumentException Unserializable(Type type, string what, Exception cause) => JobSerializer.Unserializable(type, what, cause);

    /// <summary>Null when the result of <paramref name="functionName"/>, kept in its owner's memory, can be copied out to
    /// its readers; else the serialization error its work fails with, naming the function (the error a result from
    /// another node gets, <see cref="WireCheck.Checked"/>). Only the value's own type is looked up (Orleans caches the
    /// answer): a value that holds something without a codec still fails where it is read.</summary>
    public RayError? CheckResult(object? value, string functionName)
    {
        if (value is null or string or PackedValue or StoredObject || value.GetType().IsPrimitive)
        {
            return null;
        }

        if (value is ReturnValues returns)
        {
            foreach (var element in returns.Elements)
            {
                if (CheckResult(element, functionName) is { } error)
                {
                    return error;
                }
            }

            return null;
        }

        try
        {
            _ = _copiers.GetDeepCopier(value.GetType());
            return null;
        }
        catch (CodecNotFoundException ex)
        {
            return WireCheck.SerializationError(value.GetType(), ex, functionName);
        }
    }

    /// <summary>Copies a stored value out to a reader in the runtime (a packed value stays packed: unpacking needs the
    /// reading code's job, <see cref="Unpack"/>).</summary>
    public object? CopyOut(object? value) => value is null or PackedValue ? value : _copier.Copy(value);

    /// <summary>A value as user code reads it: a packed one unpacked by the running job code's serializer (the node's
    /// own outside job code), anything else copied.</summary>
    public object? ReadOut(object? value) => value is PackedValue packed ? Unpack(packed, CurrentCode) : CopyOut(value);

    /// <summary>Unpacks with <paramref name="code"/> (the node's own serializer when null).</summary>
    /// <exception cref="ArgumentException">The bytes do not deserialize here (names why).</exception>
    public object? Unpack(PackedValue packed, JobSerializer? code)
    {
        try
        {
            return (code ?? System).Unpack(packed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not ArgumentException)
        {

            throw new ArgumentException(
                $"A value of a job's code ({packed.Bytes.Length} bytes) could not be read here: {ex.Message}. A job's values are read by the same build of its code that made them.", ex);
        }
    }
}
