using OrleansRay.Code;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.Ownership;

/// <summary>Reads objects for the code that needs their values: a task's or actor call's arguments, a task or call sent
/// to another node, a borrower's read. Finds each object's entry (owned here, owned by another runtime of this process,
/// or borrowed from another process) and copies its value out of wherever it lives (the owner's memory, or an object
/// store: this node's, or another node's pulled through <see cref="StoredValues"/>).</summary>
internal sealed partial class ObjectReader
{
    private readonly ILogger _logger;

    public ObjectReader(WorkerId owner, ObjectTable objects, StoredValues values, ValueCopier copier, LocalOwners owners, ILogger logger)
    {
        Owner = owner;
        Objects = objects;
        Values = values;
        Copier = copier;
        Owners = owners;
        _logger = logger;
    }

    /// <summary>The worker id of the runtime whose objects these are.</summary>
    public WorkerId Owner { get; }

    /// <summary>The objects this runtime owns.</summary>
    public ObjectTable Objects { get; }

    /// <summary>The runtime's object store, or null when it has none.</summary>
    public LocalObjectStore? Store => Values.Store;

    /// <summary>The one reader of stored objects, wherever they live.</summary>
    public StoredValues Values { get; }

    /// <summary>Copies values in and out (a function may mutate what it gets).</summary>
    public ValueCopier Copier { get; }

    /// <summary>The other runtimes of this process.</summary>
    public LocalOwners Owners { get; }

    /// <summary>The runtime's open streaming generators (where an actor generator run for this owner in this process
    /// puts its items); null for a reader without them.</summary>
    public GeneratorStreams? Generators { get; init; }

    /// <summary>Whether the owner of a borrowed object is alive, by this runtime's view of the cluster (set by the cluster
    /// scheduler; null before: every owner is then unknown).</summary>
    public IOwnerWatch? OwnerWatch { get; set; }

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
        if (!TryGetArgument(arg, out var entry))
        {
            return RayError.Create(RayErrorKind.ObjectLost,
                $"Argument object {id} of {functionName} is not owned by this process (a ref received inside another value cannot be passed on to another node yet); pass the value, or a ref this process created.",
                functionName);
        }

        var outcome = entry.Read();
        if (!outcome.IsComplete)
        {
            // Made pending again since the task was queued (it is being rebuilt from its lineage): the owner waits for it.
            return Unavailable(id, functionName, "is being rebuilt");
        }

        if (outcome.Error is { } error)
        {
            return error;
        }

        // A stored object travels as where it lives: the node that runs the work pulls it from there.
        value = outcome.Stored ?? outcome.Value;
        return null;
    }

    /// <summary>Resolves a call's arguments into <paramref name="target"/> from <paramref name="offset"/> on: inline
    /// values as they are, object arguments copied out of their entries, packed values (a job's) unpacked by
    /// <paramref name="code"/>, the called function's job serializer (the node's own when null).</summary>
    /// <returns>null on success; otherwise the error to report (a failed argument propagates its error).</returns>
    public RayError? ResolveArguments(TaskArg[] args, object?[] target, int offset, string functionName, JobSerializer? code)
    {
        var error = ResolveArgumentValues(args, target, offset, functionName);
        if (error is not null)
        {
            return error;
        }

        for (var i = offset; i < offset + args.Length; i++)
        {
            if (target[i] is PackedValue packed)
            {
                try
                {
                    target[i] = Copier.Unpack(packed, code);
                }
                catch (ArgumentException ex)
                {
                    return RayError.Create(RayErrorKind.TaskFailed, $"Argument {i - offset + 1} of {functionName}: {ex.Message}", functionName);
                }
            }
        }

        return null;
    }

    private RayError? ResolveArgumentValues(TaskArg[] args, object?[] target, int offset, string functionName)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.IsRef)
            {
                if (arg.Value is StoredObject located)
                {
                    if (ReadStored(located, located.Id, functionName, out var pulled) is { } pullError)
                    {
                        return pullError;
                    }

                    target[offset + i] = pulled;
                    continue;
                }

                target[offset + i] = arg.Value;
                continue;
            }

            var outcome = TryGetArgument(arg, out var entry) ? entry.Read() : default;
            if (!outcome.IsComplete)
            {
                return Unavailable(arg.RefId, functionName, "is not available on this node");
            }

            if (outcome.Error is { } error)
            {
                return error;
            }

            if (outcome.Stored is { } stored)
            {
                if (ReadStored(stored, arg.RefId, functionName, out var value) is { } readError)
                {
                    return readError;
                }

                target[offset + i] = value;
                continue;
            }

            target[offset + i] = Copier.CopyOut(outcome.Value);
        }

        return null;
    }

    /// <summary>Copies a stored value out (a fresh value: the function may mutate it), from this node's store or after
    /// a pull from the node that holds it; runs on a worker thread.</summary>
    /// <returns>null on success; otherwise the error to report.</returns>
    public RayError? ReadStored(StoredObject stored, ObjectId id, string functionName, out object? value)
    {
        value = null;
        try
        {
            value = Values.Read(stored);
            return null;
        }
        catch (RayErrorException ex)
        {
            LogStoredArgumentUnreadable(_logger, id, functionName, ex);
            // Names the lost argument: its owner may rebuild it and run this task again.
            return new RayError { Kind = ex.Error.Kind, Message = ex.Error.Message, FunctionName = functionName, LostObject = ex.Error.Kind == RayErrorKind.ObjectLost ? id : default };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStoredArgumentUnreadable(_logger, id, functionName, ex);
            return ex is ObjectStore.ObjectStoreFullException full
                ? RayError.FromException(Values.Store is { } store ? full.OnNode(store.NodeName) : full, functionName)
                : RayError.Create(RayErrorKind.ObjectLost, $"Argument object {id} of {functionName} could not be read from the node's object store: {ex.Message}", functionName);
        }
    }

    /// <summary>The error of an argument that cannot be read now; it names the object, so its owner may rebuild it and
    /// run the task again (<see cref="RayError.LostObject"/>).</summary>
    private static RayError Unavailable(ObjectId id, string functionName, string why) =>
        new() { Kind = RayErrorKind.ObjectLost, Message = $"Argument object {id} of {functionName} {why}.", FunctionName = functionName, LostObject = id };

    /// <summary>A read of <paramref name="stored"/>, the copy <paramref name="entry"/> was known by, failed as lost: an
    /// owned entry is rebuilt from its lineage (or failed with why it cannot be); a borrowed one is made pending and
    /// asked of its owner again, telling it the copy is lost (the owner rebuilds it). True when the entry changed: wait
    /// for it and read again.</summary>
    public bool TryRecover(ObjectEntry entry, StoredObject stored)
    {
        if (Objects.Owns(entry))
        {
            return Objects.Recover?.Invoke(entry, stored) == true;
        }

        if (entry.BorrowedFrom is { } owner)
        {
            if (entry.TryRestart(stored))
            {
                _ = FetchBorrowedAsync(entry, owner, stored.Store);
                return true;
            }

            // Another reader restarted it already (or it changed otherwise): read what it is now.
            return !ReferenceEquals(entry.Read().Stored, stored);
        }

        return false;
    }

    /// <summary>Completes <paramref name="entry"/> (a ref borrowed from another process) with the owner's answer.</summary>
    public void FetchBorrowed(ObjectEntry entry, BorrowedOwner owner)
    {
        entry.BorrowedFrom = owner;
        _ = FetchBorrowedAsync(entry, owner, lostStore: null);
    }

    private Task FetchBorrowedAsync(ObjectEntry entry, BorrowedOwner owner, string? lostStore) =>
        BorrowedFetch.RunAsync(entry, owner, lostStore, OwnerWatch, _logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Argument object {ObjectId} of {FunctionName} could not be read from the node's object store")]
    private static partial void LogStoredArgumentUnreadable(ILogger logger, ObjectId objectId, string functionName, Exception exception);
}
