using Microsoft.Extensions.Logging;
using OrleansRay.Ownership;

namespace OrleansRay.Scheduling;

/// <summary>Ray's object fault tolerance for the objects this runtime owns: an object whose stored copy was lost with
/// its node is rebuilt by running the task that made it again (its lineage), recursively for lost arguments, while
/// that task's retries last; an object that cannot be rebuilt fails with an <see cref="RayErrorKind.ObjectLost"/> error
/// that says why (a put, an actor call's result, retries used up).</summary>
/// <remarks>
/// Two triggers: the cluster view declaring a node dead (every object stored there is rebuilt or failed at once, so
/// waiting readers get the value without asking), and a reader whose pull failed before that (the node died, or no
/// longer has the object). Restarting all lost entries before running any task again makes a rebuilt task wait for its
/// rebuilt arguments through the usual dependency wait.
/// </remarks>
internal sealed partial class ObjectRecovery
{
    /// <summary>How often one task may run again because an argument of it was lost and rebuilt (beyond its retries,
    /// as in Ray: the task itself did not fail).</summary>
    private const int MaxArgumentRecoveries = 8;

    private readonly ObjectTable _objects;
    private readonly ILogger _logger;

    public ObjectRecovery(ObjectTable objects, ILogger logger)
    {
        _objects = objects;
        _logger = logger;
    }

    /// <summary>Node <paramref name="node"/> died: rebuilds or fails every owned object stored only there.</summary>
    public void NodeDied(NodeId node)
    {
        var lost = new List<(ObjectEntry Entry, StoredObject Stored)>();
        foreach (var entry in _objects.Entries)
        {
            if (entry.StoredObject is { } stored && stored.Node == node.Value)
            {
                lost.Add((entry, stored));
            }
        }

        if (lost.Count > 0)
        {
            LogNodeObjectsLost(_logger, lost.Count, node);
            Recover(lost, $"node {node} died");
        }
    }

    /// <summary>A reader could not read <paramref name="stored"/> (the copy of <paramref name="entry"/> it was told of):
    /// rebuilds or fails the entry when it is this runtime's. True when the entry changed (wait for it, read again).</summary>
    public bool Recover(ObjectEntry entry, StoredObject stored)
    {
        if (!_objects.Owns(entry) || !ReferenceEquals(entry.StoredObject, stored))
        {
            // Not ours to rebuild (a borrowed ref: its owner decides), or rebuilt already by someone else.
            return _objects.Owns(entry) && !ReferenceEquals(entry.StoredObject, stored);
        }

        Recover([(entry, stored)], $"reading it from node {stored.Node} failed");
        return true;
    }

    /// <summary>A task this runtime owns failed because an argument could not be read: when that argument is this
    /// runtime's and can be rebuilt, rebuilds it and runs the task again once it exists. False: finish the task with
    /// <paramref name="error"/>.</summary>
    public bool TryRerunAfterLostArgument(TaskSpec spec, RayError error)
    {
        if (error.Kind != RayErrorKind.ObjectLost || error.LostObject.IsEmpty || spec.Cancelled
            || spec.ArgumentRecoveries >= MaxArgumentRecoveries || !_objects.TryGet(error.LostObject, out var argument))
        {
            return false;
        }

        if (argument.StoredObject is { } stored)
        {
            Recover(argument, stored);
        }

        if (argument.IsFailed)
        {
            return false;
        }

        spec.ArgumentRecoveries++;
        LogRerunForArgument(_logger, spec.DisplayName, error.LostObject);
        // Hold the arguments while the task waits and runs again: one kept only for lineage is rebuilt for it.
        spec.HoldArguments(_objects);
        spec.RemoteNode = null;
        spec.State = TaskState.Waiting;
        spec.Engine.Resubmit(spec);
        return true;
    }

    private void Recover(List<(ObjectEntry Entry, StoredObject Stored)> lost, string why)
    {
        var reruns = new List<(ObjectEntry Entry, StoredObject Stored, ILineage Lineage)>();
        foreach (var (entry, stored) in lost)
        {
            if (entry.Lineage is { } lineage && entry.TryRestart(stored))
            {
                reruns.Add((entry, stored, lineage));
            }
            else if (entry.TryFailLost(stored, LostError(entry, stored, why, null)))
            {
                _objects.FreeLostCopies(stored);
            }
        }

        foreach (var (entry, stored, lineage) in reruns)
        {
            if (lineage.TryRerun(out var reason))
            {
                LogRebuilding(_logger, entry.Id, lineage.Description, why);
            }
            else
            {
                if (entry.TrySetError(LostError(entry, stored, why, reason)))
                {
                    _objects.FreeLostCopies(stored);
                }

                _objects.DropIfOrphaned(entry);
            }
        }
    }

    /// <summary>The error of an object that cannot be rebuilt, saying which case it is.</summary>
    internal static RayError LostError(ObjectEntry entry, StoredObject stored, string why, string? retriesUsedUp)
    {
        var where = $"Object {entry.Id} was in the object store of node {stored.Node}, and {why}";
        var message = entry.Origin switch
        {
            ObjectOrigin.Put => $"{where}: it was put (PutAsync), so there is no task to rebuild it from. Keep objects that must survive a node on a node that stays up, or make them with a task.",
            ObjectOrigin.ActorCall => $"{where}: it was the result of an actor call, and actor call results are not rebuilt (the actor's state has moved on).",
            ObjectOrigin.GeneratorItem or ObjectOrigin.ActorGeneratorItem => $"{where}: items of a streaming generator are not rebuilt from lineage yet (ADR 0013). Consume the items while their node is up, or keep the ones that must survive a node by putting them again.",
            _ when retriesUsedUp is not null => $"{where}: it cannot be rebuilt because {retriesUsedUp}.",
            _ => $"{where}: the task that made it has no retries (MaxRetries = 0), so it is not rebuilt.",
        };
        return RayError.Create(RayErrorKind.ObjectLost, message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} objects this runtime owns were stored on node {Node}, which died: rebuilding them from lineage where possible")]
    private static partial void LogNodeObjectsLost(ILogger logger, int count, NodeId node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilding object {ObjectId} by running its {Lineage} again ({Why})")]
    private static partial void LogRebuilding(ILogger logger, ObjectId objectId, string lineage, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {FunctionName} runs again once its lost argument {ObjectId} is rebuilt")]
    private static partial void LogRerunForArgument(ILogger logger, string functionName, ObjectId objectId);
}
