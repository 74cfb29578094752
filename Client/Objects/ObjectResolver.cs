using OrleansRay.Objects;
using OrleansRay.Runtime;

namespace OrleansRay;

/// <summary>Reads objects for refs: finds the owner's entry, waits, and turns a captured error into its exception.</summary>
internal static class ObjectResolver
{
    public static ValueTask<T> GetAsync<T>(ObjectRef<T> objectRef, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        var (runtime, entry) = Find(objectRef);
        if (entry.IsComplete)
        {
            return new ValueTask<T>(Read<T>(runtime, entry));
        }

        return WaitAndReadAsync<T>(runtime, entry, objectRef, timeout, cancellationToken);
    }

    private static async ValueTask<T> WaitAndReadAsync<T>(NodeRuntime runtime, ObjectEntry entry, ObjectRef objectRef, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (!await runtime.WaitForAsync(entry, timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new GetTimeoutException(timeout!.Value, $"Object {objectRef.Id}");
        }

        GC.KeepAlive(objectRef);
        return Read<T>(runtime, entry);
    }

    public static (NodeRuntime Runtime, ObjectEntry Entry) Find(ObjectRef objectRef)
    {
        if (!NodeRuntime.TryGetLocal(objectRef.Owner, out var runtime))
        {
            throw new ObjectLostException(
                $"Object {objectRef.Id} is owned by worker {objectRef.Owner}, which is not in this process: its owner has shut down, " +
                "or the ref crossed to a process that cannot reach it.");
        }

        if (!runtime.Objects.TryGet(objectRef.Id, out var entry))
        {
            throw new ObjectLostException($"Object {objectRef.Id} no longer exists: every reference to it was released, or its owner shut down.");
        }

        return (runtime, entry);
    }

    public static T Read<T>(NodeRuntime runtime, ObjectEntry entry)
    {
        if (entry.IsFailed)
        {
            throw ErrorMapper.ToException(entry.Error!);
        }

        var value = runtime.Copier.CopyOut(entry.Value);
        if (value is null)
        {
            return default!;
        }

        if (value is T typed)
        {
            return typed;
        }

        throw new InvalidCastException($"Object {entry.Id} holds a {value.GetType().FullName}, not the {typeof(T).FullName} its ref promises.");
    }
}
