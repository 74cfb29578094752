namespace OrleansRay.Ownership;

/// <summary>Where the items of a generator task go as its function yields them (Ray's streaming generator,
/// <c>num_returns="streaming"</c>): the owner's <see cref="GeneratorStream"/> when the task runs on its owner's node,
/// or a sender that reports them to a remote owner. See docs/adr/0013-streaming-generators.md.</summary>
internal interface IGeneratorSink
{
    /// <summary>Ray's <c>_generator_backpressure_num_objects</c>: how many items may be produced and not yet consumed
    /// (0: no bound).</summary>
    int Backpressure { get; }

    /// <summary>Waits (asynchronously) until item <paramref name="index"/> (0-based) may be produced: at most
    /// <see cref="Backpressure"/> items ahead of the consumer. False when the consumer is gone (stop producing).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the task was cancelled).</exception>
    ValueTask<bool> WaitForRoomAsync(int index, CancellationToken cancellationToken);

    /// <summary>Item <paramref name="index"/> was yielded with <paramref name="value"/> (already packed for the wire).</summary>
    void Yield(int index, object? value);
}

/// <summary>The sink of a generator whose consumer is gone (or was never found): the producer is asked for no item.</summary>
internal sealed class ClosedGeneratorSink : IGeneratorSink
{
    public static readonly ClosedGeneratorSink Instance = new();

    private ClosedGeneratorSink()
    {
    }

    /// <inheritdoc/>
    public int Backpressure => 0;

    /// <inheritdoc/>
    public ValueTask<bool> WaitForRoomAsync(int index, CancellationToken cancellationToken) => new(false);

    /// <inheritdoc/>
    public void Yield(int index, object? value)
    {
    }
}

/// <summary>The ids of a generator task's items: derived from the task's id and the item's index, so a re-run of the
/// task (a retry after its node died) reports each item under the same id and the owner keeps the first.</summary>
/// <remarks>Ids are (process prefix, counter): an item keeps its task's counter half and moves the prefix half by an odd
/// multiple of (index + 1), which is never 0 and differs per index, so an item id never equals another id of the same
/// process (a task's, an object's, another item's); equal to an id of another process only if that process's random
/// prefix happens to be this one's moved, a 2^-64 chance per pair.</remarks>
internal static class GeneratorItems
{
    private const ulong Odd = 0x9E37_79B9_7F4A_7C15UL;

    /// <summary>The object id of item <paramref name="index"/> of <paramref name="task"/>.</summary>
    public static ObjectId IdOf(TaskId task, int index) => new(task.Hi ^ unchecked((ulong)(index + 1) * Odd), task.Lo);

    /// <summary>The end (return object) id of generator <paramref name="stream"/>: the same bits.</summary>
    public static ObjectId EndOf(TaskId stream) => new(stream.Hi, stream.Lo);

    /// <summary>The generator whose end (return object) is <paramref name="end"/> (the inverse of <see cref="EndOf"/>).</summary>
    public static TaskId StreamOf(ObjectId end) => new(end.Hi, end.Lo);
}
