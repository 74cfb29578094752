using OrleansRay.Node;

namespace OrleansRay;

/// <summary>Checks and copies call arguments at submission: values are deep-copied (so the caller may change its own
/// object afterwards, and unserializable types fail here, naming the type); refs must not be null.</summary>
internal static class ArgumentPacker
{
    public static TaskArg[] Pack(NodeRuntime runtime, TaskArg[] args, string functionName)
    {
        if (args.Length == 0)
        {
            return args;
        }

        var packed = new TaskArg[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.IsRef)
            {
                packed[i] = arg;
            }
            else if (arg.Value is RefPlaceholder)
            {
                throw new ArgumentNullException($"arg{i + 1}", $"Argument {i + 1} of {functionName} is a null ObjectRef; pass a ref returned by Remote() or PutAsync().");
            }
            else
            {
                packed[i] = PackValue(runtime, arg.Value, $"argument {i + 1} of {functionName}");
            }
        }

        return packed;
    }

    /// <summary>A value argument as the task or actor gets it: a copy (so the caller may change its own object after
    /// <c>Remote()</c>), or, when it is above the inline threshold, an object put into the object store and passed by
    /// ref, as Ray puts an argument over 100 KiB into the object store at submission: the runtime's own store, or, for a
    /// connected driver without one, the store of the node it connected through (<see cref="Ownership.NodeStorePuts"/>).
    /// Inline it would travel inside the call's message, which a task channel frame (16 MiB) and an Orleans message
    /// (100 MB) cannot carry.</summary>
    /// <exception cref="ArgumentException">The value cannot be serialized (names it and its type).</exception>
    /// <exception cref="ObjectStoreFullRayException">The store has no room for it, even after spilling.</exception>
    /// <exception cref="RayException">The node's store refused it or could not be reached (a driver without a store).</exception>
    public static TaskArg PackValue(NodeRuntime runtime, object? value, string what)
    {
        if (runtime.Values.Puts is not { } store)
        {
            return TaskArg.FromValue(runtime.Copier.CopyIn(value, what));
        }

        // The size check first: a few type tests, false for scalars. A plain value (a string, an array of primitives) is
        // not packed even by job code (JobSerializer.Pack): it goes into the store as it is, as other code's values do.
        if (store.IsLarge(value) && (!runtime.Copier.PacksValues || Code.JobSerializer.IsPlain(value)))
        {
            // The put copies the value into the store before Remote() returns: the stored bytes are the snapshot.
            return PutLarge(runtime, store, value!, what);
        }

        var copy = runtime.Copier.CopyIn(value, what);
        // Job code's values are packed (serialized) here: a large one goes into the store as its bytes.
        return copy is PackedValue && store.IsLarge(copy) ? PutLarge(runtime, store, copy, what) : TaskArg.FromValue(copy);
    }

    private static TaskArg PutLarge(NodeRuntime runtime, Ownership.IObjectStorePuts store, object value, string what)
    {
        var id = ObjectId.NewId();
        StoredObject stored;
        try
        {
            // Blocks while the store makes room (spilling), or the bytes travel to the node's store, as Ray's submission of
            // a large argument does.
            var put = store.PutAsync(id, value, what, CancellationToken.None);
            stored = put.IsCompletedSuccessfully ? put.Result : put.AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (StoreErrors.OnPut(ex) is { } mapped)
        {
            throw mapped;
        }

        var entry = runtime.PutStored(id, stored);
        return Ref(new ObjectRef<object>(entry.Id, runtime.WorkerId, runtime.Reader));
    }

    /// <summary>An argument slot: a value.</summary>
    public static TaskArg Value<T>(T value) => TaskArg.FromValue(value);

    /// <summary>An argument slot: an object to resolve first.</summary>
    public static TaskArg Ref(ObjectRef? objectRef)
    {
        if (objectRef is null)
        {
            return TaskArg.FromValue(RefPlaceholder.Instance);
        }

        objectRef.Share(); // the task finds its argument by id
        return TaskArg.FromRef(objectRef.Id, objectRef);
    }

    /// <summary>Marks a null ObjectRef argument until Remote() reports it.</summary>
    internal sealed class RefPlaceholder
    {
        public static readonly RefPlaceholder Instance = new();
    }
}
