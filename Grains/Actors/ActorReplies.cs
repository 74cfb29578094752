using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

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
            _runtime.Replies.Reply(endpoint, new RemoteResult { ObjectId = call.ReturnId, Value = value, Error = error, Node = _runtime.NodeId.Value ?? string.Empty }, call.Method.DisplayName);
            return;
        }

        if (owner is null || !owner.Objects.TryGet(call.ReturnId, out var entry))
        {
            LogResultDropped(_logger, call.ReturnId, call.Owner);
            return;
        }

        entry.TrySetResult(value, error);

        owner.Objects.DropIfOrphaned(entry);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Result {ObjectId} dropped: its owner {Owner} is gone or no longer holds it")]
    private static partial void LogResultDropped(ILogger logger, ObjectId objectId, WorkerId owner);
}
