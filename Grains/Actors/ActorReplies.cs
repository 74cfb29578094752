using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Ownership;

namespace OrleansRay.Actors;

/// <summary>Where an actor's results go: to the owner's object table in this process, or one-way to the owner's
/// endpoint in another process.</summary>
/// <remarks>Every batch's reply endpoint is learnt before anything is decided about its calls, so a call refused at
/// once (a dead actor) reaches a caller in another process as surely as a result does.</remarks>
internal sealed partial class ActorReplies
{
    private readonly ActorServices _runtime;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<WorkerId, Grains.INodeEndpoint> _replyTo = new();

    public ActorReplies(ActorServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>Learns where the owner of a batch's calls takes results.</summary>
    public void Learn(ActorCallBatch batch)
    {
        if (batch.ReplyTo is { } replyTo && batch.Calls.Length > 0)
        {
            _replyTo[batch.Calls[0].Owner] = replyTo;
        }
    }

    /// <summary>Hands a call's result to the worker that owns its return object.</summary>
    public void Deliver(ActorCall call, object? value, RayError? error)
    {
        if (!_runtime.Reader.Owners.TryGet(call.Owner, out var owner) && _replyTo.TryGetValue(call.Owner, out var endpoint))
        {
            var result = new RemoteResult { ObjectId = call.ReturnId, Value = value, Error = error, Node = _runtime.NodeId.Value ?? string.Empty };
            _runtime.Replies.Reply(endpoint, MultipleReturns.ToWire(result, call.OtherReturnIds), call.Method.DisplayName);
            return;
        }

        if (owner is null || !owner.Objects.TryGet(call.ReturnId, out var entry))
        {
            LogResultDropped(_logger, call.ReturnId, call.Owner);
            return;
        }

        if (call.OtherReturnIds is { } otherIds)
        {
            // Several returns (Ray's num_returns): each its own object; one the owner already freed is skipped.
            var others = Array.ConvertAll(otherIds, id => owner.Objects.TryGet(id, out var other) ? other : new ObjectEntry(id));
            MultipleReturns.Complete(entry, others, value, error);
        }
        else
        {
            entry.TrySetResult(value, error);
        }

        owner.Objects.DropIfOrphaned(entry);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Result {ObjectId} dropped: its owner {Owner} is gone or no longer holds it")]
    private static partial void LogResultDropped(ILogger logger, ObjectId objectId, WorkerId owner);
}
