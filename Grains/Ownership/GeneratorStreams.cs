using System.Collections.Concurrent;

namespace OrleansRay.Ownership;

/// <summary>The streaming generator tasks this runtime owns whose consumer has not finished: where items reported by
/// the nodes running them go, and where those nodes ask how far the consumer is (backpressure).</summary>
internal sealed class GeneratorStreams
{
    /// <summary>How long an owner holds a producer's backpressure question open before answering with the count so far
    /// (below Orleans' 30 s call timeout; the producer asks again).</summary>
    public static readonly TimeSpan ConsumedWait = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<TaskId, GeneratorStream> _streams = new();
    private readonly ObjectTable _table;

    public GeneratorStreams(ObjectTable table)
    {
        _table = table;
    }

    /// <summary>Streams open now.</summary>
    public int Count => _streams.Count;

    /// <summary>Opens the stream of generator task <paramref name="taskId"/>, whose end is <paramref name="end"/>.</summary>
    /// <param name="actorCall">Whether the producer is an actor call (an actor generator), for its items' origin.</param>
    public GeneratorStream Open(TaskId taskId, ObjectEntry end, int backpressure, bool actorCall = false)
    {
        var stream = new GeneratorStream(taskId, end, _table, this, backpressure, actorCall ? ObjectOrigin.ActorGeneratorItem : ObjectOrigin.GeneratorItem);
        _streams[taskId] = stream;
        return stream;
    }

    /// <summary>The open stream of generator <paramref name="taskId"/>.</summary>
    public bool TryGet(TaskId taskId, out GeneratorStream stream) => _streams.TryGetValue(taskId, out stream!);

    internal void Remove(GeneratorStream stream) => _streams.TryRemove(new KeyValuePair<TaskId, GeneratorStream>(stream.TaskId, stream));

    /// <summary>An item a remote producer reported (<see cref="RemoteResult.GeneratorItem"/> is its index + 1).</summary>
    public void Deliver(RemoteResult item)
    {
        if (_streams.TryGetValue(item.TaskId, out var stream))
        {
            stream.Deliver(item.GeneratorItem - 1, item.Value, item.Error);
        }
        else if (item.Value is StoredObject stored)
        {
            _table.FreedElsewhere?.Invoke(stored); // nobody consumes it any more
        }
    }

    /// <summary>The end of generator task <paramref name="taskId"/> reports <paramref name="count"/> items made before it.</summary>
    public void Announce(TaskId taskId, int count)
    {
        if (_streams.TryGetValue(taskId, out var stream))
        {
            stream.Announce(count);
        }
    }

    /// <summary>A producer's backpressure question: the items consumed so far once at least <paramref name="atLeast"/>
    /// (or after <see cref="ConsumedWait"/>), or -1 when the stream is closed (stop producing).</summary>
    public Task<int> WaitConsumedAsync(TaskId taskId, int atLeast) =>
        _streams.TryGetValue(taskId, out var stream)
            ? stream.WaitConsumedAsync(atLeast, ConsumedWait, CancellationToken.None)
            : Task.FromResult(-1);
}
