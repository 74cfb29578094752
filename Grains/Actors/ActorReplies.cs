using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Ownership;
using OrleansRay.Placement;

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

    /// <summary>The generator calls running here for owners in other processes, by return id: their end carries the
    /// count of items sent (<see cref="RemoteResult.GeneratorCount"/>).</summary>
    private readonly ConcurrentDictionary<ObjectId, GeneratorItemSender> _senders = new();

    /// <summary>The node's copier: whether a call's result can be copied out to its readers.</summary>
    internal Ownership.ValueCopier Copier => _runtime.Reader.Copier;

    public ActorReplies(ActorServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>Learns that <paramref name="owner"/> takes results at <paramref name="replyTo"/> (nothing when null).</summary>
    public void Learn(WorkerId owner, Grains.INodeEndpoint? replyTo)
    {
        if (replyTo is not null)
        {
            _replyTo[owner] = replyTo;
        }
    }

    /// <summary>The endpoint <paramref name="owner"/> takes results at, as learnt (null: none, or the owner is in this
    /// process).</summary>
    public Grains.INodeEndpoint? EndpointOf(WorkerId owner) => _replyTo.TryGetValue(owner, out var endpoint) ? endpoint : null;

    /// <summary>Where the items of a streaming generator call go (Ray's actor generators, ADR 0013), chosen as its result's
    /// way is: the owner's stream when the owner lives in this process, else a sender to the owner's endpoint; null for
    /// a call that is not a generator.</summary>
    public IGeneratorSink? GeneratorSink(ActorCall call, string name)
    {
        if (!call.Streaming)
        {
            return null;
        }

        var stream = GeneratorItems.StreamOf(call.ReturnId);
        if (_runtime.Reader.Owners.TryGet(call.Owner, out var owner))
        {
            // The consumer may have stopped already (its stream is closed): the method is asked for no item.
            return owner.Generators is { } streams && streams.TryGet(stream, out var local) ? local : ClosedGeneratorSink.Instance;
        }

        if (!_replyTo.TryGetValue(call.Owner, out var endpoint))
        {
            return ClosedGeneratorSink.Instance;
        }

        var sender = new GeneratorItemSender(_runtime.Replies, _runtime.Node.Name, endpoint, stream, name, call.GeneratorBackpressure);
        _senders[call.ReturnId] = sender;
        return sender;
    }

    /// <summary>Hands a call's result to the worker that owns its return object.</summary>
    public void Deliver(ActorCall call, object? value, RayError? error)
    {
        if (!_runtime.Reader.Owners.TryGet(call.Owner, out var owner) && _replyTo.TryGetValue(call.Owner, out var endpoint))
        {
            var result = new RemoteResult
            {
                ObjectId = call.ReturnId,
                Value = value,
                Error = error,
                Node = _runtime.NodeId.Value ?? string.Empty,
                GeneratorCount = call.Streaming && _senders.TryRemove(call.ReturnId, out var sender) ? sender.Yielded : 0,
            };
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
            CompleteAll(owner, entry, otherIds, value, error);
        }
        else
        {
            entry.TrySetResult(value, error);
        }

        owner.Objects.DropIfOrphaned(entry);
    }

    /// <summary>Several returns (Ray's num_returns): each its own object; one the owner already freed is skipped. A
    /// method of its own, so its closure is not allocated on every <see cref="Deliver"/>.</summary>
    private static void CompleteAll(ObjectReader owner, ObjectEntry entry, ObjectId[] otherIds, object? value, RayError? error)
    {
        var others = Array.ConvertAll(otherIds, id => owner.Objects.TryGet(id, out var other) ? other : new ObjectEntry(id));
        MultipleReturns.Complete(entry, others, value, error);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Result {ObjectId} dropped: its owner {Owner} is gone or no longer holds it")]
    private static partial void LogResultDropped(ILogger logger, ObjectId objectId, WorkerId owner);
}
