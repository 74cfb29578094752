using Orleans.Serialization;

namespace OrleansRay.Transport;

/// <summary>Tries a value on the wire before it joins a batch: one value that cannot be serialized must fail alone,
/// never take the other items of its message with it.</summary>
/// <remarks>
/// A one-way message (results, frees, borrow notices) whose body fails to serialize is dropped by Orleans after the
/// send returned, so the sender never learns which items were lost; a request-response batch fails as a whole. Values
/// of types that cannot hold anything but primitives and strings (<see cref="ValueShapes.CannotHoldRefs"/>) and
/// that the serializer has a codec for skip the try.
/// </remarks>
internal static class WireCheck
{
    /// <summary>The scratch stream of this thread (reused: the try writes into it, then forgets what it wrote).</summary>
    [ThreadStatic]
    private static MemoryStream? _scratch;

    /// <summary>Above this the scratch stream is not kept (one large value must not pin its buffer on a thread).</summary>
    private const int KeptScratch = 1 << 20;

    /// <summary>True when <paramref name="ex"/> (or an exception inside it) says a message could not be serialized:
    /// the fault of something it carries, not of its destination. Batches that fail so are split to find the item.</summary>
    public static bool IsSerializationFault(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is Orleans.Serialization.CodecNotFoundException or Orleans.Serialization.SerializerException)
            {
                return true;
            }

            if (ex is AggregateException aggregate && aggregate.InnerExceptions.Any(IsSerializationFault))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Null when <paramref name="value"/> serializes; else why it does not.</summary>
    public static Exception? TrySerialize(Serializer serializer, object? value)
    {
        // CannotHoldRefs says a type holds no refs, not that it has a codec (Func<int>, Lazy<int> are System generics
        // over primitives without one): skip the try only when both hold.
        if (value is null or StoredObject || (ValueShapes.CannotHoldRefs(value.GetType()) && serializer.CanSerialize(value.GetType())))
        {
            return null;
        }

        var stream = _scratch ??= new MemoryStream();
        try
        {
            serializer.Serialize<object?>(value, stream);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex;
        }
        finally
        {
            if (stream.Capacity > KeptScratch)
            {
                _scratch = null;
            }
            else
            {
                stream.SetLength(0);
            }
        }
    }

    /// <summary><paramref name="result"/> when its value serializes; else the same result failed with a serialization
    /// error naming the value's type (Ray: the task fails with a serialization error, its neighbours do not).</summary>
    /// <param name="result">A result about to be sent to its owner.</param>
    /// <param name="serializer">The wire's serializer.</param>
    /// <param name="functionName">The task or actor method that produced it, for the error.</param>
    public static RemoteResult Checked(RemoteResult result, Serializer serializer, string functionName)
    {
        if (result.Error is not null || TrySerialize(serializer, result.Value) is not { } failure)
        {
            return result;
        }

        return result with { Value = null, Error = SerializationError(result.Value!.GetType(), failure, functionName) };
    }

    /// <summary>The error of a task or actor call that could not be sent (the serializer refused something it carries):
    /// it fails alone with the failure as strings; <paramref name="destination"/> says where it was going.</summary>
    public static RayError UnsendableError(string functionName, string destination, Exception failure, ActorId actorId = default) => new()
    {
        Kind = RayErrorKind.TaskFailed,
        FunctionName = functionName,
        ExceptionType = failure.GetType().FullName ?? failure.GetType().Name,
        ExceptionTypes = RayError.TypeNamesOf(failure.GetType()),
        Message = $"it could not be sent to {destination}: {failure.Message}",
        RemoteStackTrace = RayError.Text(failure),
        ActorId = actorId,
    };

    /// <summary>The error of a result that could not be sent: it carries the serializer's failure as strings, as an
    /// <see cref="ArgumentException"/> wherever the result was refused (the store's put of a result made on a node
    /// throws one, so <c>Is&lt;ArgumentException&gt;()</c> answers alike for work run by the driver and by a node).</summary>
    public static RayError SerializationError(Type? valueType, Exception failure, string functionName) => new()
    {
        Kind = RayErrorKind.TaskFailed,
        FunctionName = functionName,
        ExceptionType = TypeOf(failure).FullName!,
        ExceptionTypes = RayError.TypeNamesOf(TypeOf(failure)),
        Message = valueType is null
            ? $"its result could not be serialized to send it to its owner: {failure.Message}"
            : IsLazySequence(valueType)
            ? $"its result, a {valueType.FullName}, is a lazily evaluated sequence (an iterator), which cannot be serialized ({failure.Message}); return its items as an array or list (.ToArray(), .ToList()), or stream them one by one with ray.Task(f).RemoteGenerator() instead of .Remote()."
            : $"its result, a {valueType.FullName}, cannot be serialized (to send or copy it to its owner: {failure.Message}); return a value of a serializable type (primitives, strings, arrays, collections, types marked [GenerateSerializer]).",
        RemoteStackTrace = RayError.Text(failure),
    };

    /// <summary>The type a result's send failure reads as: <see cref="ArgumentException"/> for the serializer's refusal,
    /// as a node's store refuses such a result; another failure keeps its own type.</summary>
    private static Type TypeOf(Exception failure) => IsSerializationFault(failure) ? typeof(ArgumentException) : failure.GetType();

    /// <summary>True for the sequences a <c>yield return</c> method or a LINQ operator returns: enumerables that compute
    /// their items when enumerated (the compiler's iterator classes, System.Linq's), not collections that hold them.</summary>
    internal static bool IsLazySequence(Type type) =>
        (typeof(System.Collections.IEnumerable).IsAssignableFrom(type) || IsAsyncEnumerable(type))
        && (type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), inherit: false)
            || string.Equals(type.Namespace, "System.Linq", StringComparison.Ordinal));

    private static bool IsAsyncEnumerable(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>));

    /// <summary><paramref name="error"/> naming <paramref name="functionName"/> when it names no function (an error made
    /// where the work's name is not known, <see cref="Placement.OwnerReplies"/>); else itself.</summary>
    public static RayError Named(RayError error, string? functionName) =>
        error.FunctionName.Length > 0 || string.IsNullOrEmpty(functionName) ? error : new RayError
        {
            Kind = error.Kind,
            FunctionName = functionName,
            ExceptionType = error.ExceptionType,
            ExceptionTypes = error.ExceptionTypes,
            Message = error.Message,
            RemoteStackTrace = error.RemoteStackTrace,
            ActorId = error.ActorId,
            LostObject = error.LostObject,
            RethrownBy = error.RethrownBy,
            Original = error.Original,
        };
}
