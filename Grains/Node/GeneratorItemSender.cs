using OrleansRay.Grains;
using OrleansRay.Ownership;

namespace OrleansRay.Node;

/// <summary>The producer's side of a streaming generator task run here for another owner: reports each item to the
/// owner through the owner's reply pump (in order, with the task's final result after them; a large item goes into
/// this node's object store first), and asks the owner how far its consumer is when the backpressure bound is reached.</summary>
internal sealed class GeneratorItemSender : IGeneratorSink
{
    private readonly NodeRuntime _runtime;
    private readonly INodeEndpoint _owner;
    private readonly TaskId _taskId;
    private readonly string _name;
    private int _consumed;

    public GeneratorItemSender(NodeRuntime runtime, INodeEndpoint owner, TaskId taskId, string name, int backpressure)
    {
        _runtime = runtime;
        _owner = owner;
        _taskId = taskId;
        _name = name;
        Backpressure = backpressure;
    }

    /// <inheritdoc/>
    public int Backpressure { get; }

    /// <inheritdoc/>
    /// <remarks>Once blocked, the producer asks for half the window to be free rather than one item (hysteresis): one
    /// round trip to the owner per B/2 items instead of per item, and never more than B ahead either way.</remarks>
    public async ValueTask<bool> WaitForRoomAsync(int index, CancellationToken cancellationToken)
    {
        var needed = index - Backpressure + 1;
        if (Backpressure <= 0 || _consumed >= needed)
        {
            return true;
        }

        var ask = needed + ((Backpressure - 1) / 2);
        while (_consumed < needed)
        {
            // Off the worker thread: the call's continuation must not wait for a busy worker (see TaskExecutorGrain).
            var consumed = await Task.Run(() => _owner.WaitGeneratorConsumedAsync(_taskId, ask), cancellationToken)
                .WaitAsync(cancellationToken).ConfigureAwait(true);
            if (consumed < 0)
            {
                return false;
            }

            _consumed = Math.Max(_consumed, consumed);
        }

        return true;
    }

    /// <summary>Items reported so far (sent with the task's end, which may overtake them on the way).</summary>
    public int Yielded => Volatile.Read(ref _yielded);

    private int _yielded;

    /// <inheritdoc/>
    public void Yield(int index, object? value)
    {
        Volatile.Write(ref _yielded, index + 1);
        Send(index, value);
    }

    private void Send(int index, object? value) => _runtime.Replies.Reply(_owner, new RemoteResult
    {
        ObjectId = GeneratorItems.IdOf(_taskId, index),
        TaskId = _taskId,
        Value = value,
        Node = _runtime.Node.Name,
        GeneratorItem = index + 1,
    }, _name);
}
