using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.Ownership;

/// <summary>Reads objects for the code that needs their values: a task's or actor call's arguments, a task or call sent
/// to another node, a borrower's read. Finds each object's entry (owned here, owned by another runtime of this process,
/// or borrowed from another process) and copies its value out of wherever it lives (the owner's memory, the node's
/// object store, or a node that holds it).</summary>
internal sealed partial class ObjectReader
{
    private readonly ILogger _logger;

    public ObjectReader(WorkerId owner, ObjectTable objects, LocalObjectStore? store, ValueCopier copier, HeldValues held, LocalOwners owners, ILogger logger)
    {
        Owner = owner;
        Objects = objects;
        Store = store;
        Copier = copier;
        Held = held;
        Owners = owners;
        _logger = logger;
    }

    /// <summary>The worker id of the runtime whose objects these are.</summary>
    public WorkerId Owner { get; }

    /// <summary>The objects this runtime owns.</summary>
    public ObjectTable Objects { get; }

    /// <summary>The node's object store, or null when it has none.</summary>
    public LocalObjectStore? Store { get; }

    /// <summary>Copies values in and out (a function may mutate what it gets).</summary>
    public ValueCopier Copier { get; }

    /// <summary>Values held here for owners elsewhere, and the fetching of values held by other nodes.</summary>
    public HeldValues Held { get; }

    /// <summary>The other runtimes of this process.</summary>
    public LocalOwners Owners { get; }

    /// <summary>Tells owners in other processes about the refs of theirs this runtime borrows.</summary>
    public BorrowTracker Borrows { get; } = new();

    /// <summary>The entry of an object argument: this runtime's own, or the local entry of a ref borrowed from another
    /// process (read through its owner).</summary>
    public bool TryGetArgument(in TaskArg arg, out ObjectEntry entry)
    {
        if (Objects.TryGet(arg.RefId, out entry))
        {
            return true;
        }

        return arg.Value is IBorrowedRef borrowed && borrowed.TryBorrow(this, out entry);
    }

    /// <summary>The value of an object argument, for a task or call sent to another node (which gets a copy); an error
    /// when the object failed or is not here.</summary>
    public RayError? ReadForRemote(in TaskArg arg, string functionName, out object? value)
    {
        value = null;
        var id = arg.RefId;
        if (!TryGetArgument(arg, out var entry) || !entry.IsComplete)
        {
            return RayError.Create(RayErrorKind.ObjectLost,
                $"Argument object {id} of {functionName} is not owned by this process (a ref received inside another value cannot be passed on to another node yet); pass the value, or a ref this process created.",
                functionName);
        }

        if (entry.IsFailed)
        {
            return entry.Error;
        }

        if (entry.StoredObject is { } stored)
        {
            return ReadStored(stored, id, functionName, out value);
        }

        value = entry.Value;
        return null;
    }

    /// <summary>Resolves a call's arguments into <paramref name="target"/> from <paramref name="offset"/> on: inline
    /// values as they are, object arguments copied out of their entries.</summary>
    /// <returns>null on success; otherwise the error to report (a failed argument propagates its error).</returns>
    public RayError? ResolveArguments(TaskArg[] args, object?[] target, int offset, string functionName)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.IsRef)
            {
                if (arg.Value is RemoteObject remote)
                {
                    if (FetchForArgument(remote, functionName, out var fetched) is { } fetchError)
                    {
                        return fetchError;
                    }

                    target[offset + i] = fetched;
                    continue;
                }

                target[offset + i] = arg.Value;
                continue;
            }

            if (!TryGetArgument(arg, out var entry) || !entry.IsComplete)
            {
                return RayError.Create(RayErrorKind.ObjectLost, $"Argument object {arg.RefId} of {functionName} is not available on this node.", functionName);
            }

            if (entry.IsFailed)
            {
                return entry.Error;
            }

            if (entry.StoredObject is { } stored)
            {
                if (ReadStored(stored, arg.RefId, functionName, out var value) is { } readError)
                {
                    return readError;
                }

                target[offset + i] = value;
                continue;
            }

            if (entry.Value is RemoteObject held)
            {
                if (FetchForArgument(held, functionName, out var fetched) is { } fetchError)
                {
                    return fetchError;
                }

                target[offset + i] = fetched;
                continue;
            }

            target[offset + i] = Copier.CopyOut(entry.Value);
        }

        return null;
    }

    /// <summary>Copies a value out of the node's object store (a fresh value: the function may mutate it).</summary>
    /// <returns>null on success; otherwise the error to report.</returns>
    public RayError? ReadStored(StoredObject stored, ObjectId id, string functionName, out object? value)
    {
        value = null;
        if (Store is not { } store)
        {
            return RayError.Create(RayErrorKind.ObjectLost, $"Argument object {id} of {functionName} is in an object store this node no longer has.", functionName);
        }

        try
        {
            value = store.Read(stored);
            return null;
        }
        catch (Exception ex)
        {
            LogStoredArgumentUnreadable(_logger, id, functionName, ex);
            return ex is ObjectStore.ObjectStoreFullException
                ? RayError.FromException(ex, functionName)
                : RayError.Create(RayErrorKind.ObjectLost, $"Argument object {id} of {functionName} could not be read from the node's object store: {ex.Message}", functionName);
        }
    }

    /// <summary>Completes <paramref name="entry"/> (a ref borrowed from another process) with the owner's answer.</summary>
    public static void FetchBorrowed(ObjectEntry entry, INodeEndpoint owner) => _ = FetchBorrowedAsync(entry, owner);

    private static async Task FetchBorrowedAsync(ObjectEntry entry, INodeEndpoint owner)
    {
        while (!entry.IsComplete)
        {
            RemoteResult answer;
            try
            {
                answer = await owner.WaitObjectAsync(entry.Id).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, $"Object {entry.Id} is owned by a process that cannot be reached ({ex.GetType().Name}: {ex.Message}); it is lost with its owner."));
                return;
            }

            if (answer.Pending)
            {
                continue;
            }

            if (answer.Error is { } error)
            {
                entry.TrySetError(error);
            }
            else
            {
                entry.TrySetInlineValue(answer.Value);
            }
        }
    }

    /// <summary>Fetches an argument held by another node, blocking this worker thread (the calls themselves run on
    /// the thread pool: see LeaseLoops.Start for why a worker thread must not issue them).</summary>
    private RayError? FetchForArgument(RemoteObject remote, string functionName, out object? value)
    {
        try
        {
            value = Task.Run(() => Held.FetchAsync(remote)).GetAwaiter().GetResult();
            return null;
        }
        catch (RayErrorException ex)
        {
            value = null;
            return RayError.Create(ex.Error.Kind, ex.Error.Message, functionName);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Argument object {ObjectId} of {FunctionName} could not be read from the node's object store")]
    private static partial void LogStoredArgumentUnreadable(ILogger logger, ObjectId objectId, string functionName, Exception exception);
}
