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
                packed[i] = TaskArg.FromValue(runtime.Copier.CopyIn(arg.Value, $"argument {i + 1} of {functionName}"));
            }
        }

        return packed;
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
