using OrleansRay.Grains;
using OrleansRay.Ownership;

namespace OrleansRay.Placement;

/// <summary>The producer's side of a streaming generator (a task, or an actor method call) run here for an owner in
/// another process: reports each item to the
/// owner through the owner's reply pump (in order, with the task's final result after them; a large item goes into
/// this node's object store first), and asks the owner how far its consumer is when the backpressure bound is reached.</summary>
internal sealed class GeneratorItemSender : IGeneratorSink
{
    private readonly OwnerReplies _replies;
    private readonly string _node;
    private readonly INodeEndpoint _owner;
    private readonly TaskId _taskId;
    private readonly string _name;
    private readonly WorkerId _driver;
    private int _consumed;

    /// <param name="replies">This node's reply pump to owners.</param>
    /// <param name="node">This node's name (where a stored item is).</param>
    /// <param name="owner">The owner's endpoint.</param>
    /// <param name="taskId">The generator's id (the key of the owner's stream; items get ids derived from it).</param>
    /// <param name="name">The producer's name, for messages.</param>
    /// <param name="backpressure">Items that may be produced and not consumed (0: no bound).</param>
    /// <param name="driver">The connected driver that owns the items, when it submitted the task itself: large items
    /// stored here are recorded as its own (<see cref="OwnerReplies.Reply"/>). Empty: none are.</param>
    public GeneratorItemSender(OwnerReplies replies, string node, INodeEndpoint owner, TaskId taskId, string name, int backpressure, WorkerId driver = default)
    {
        _driver = driver;
        _replies = replies;
        _node = node;
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
            // Off the worker thread: the grain call's continuation must not wait for a busy worker (a grain call made
            // from a worker thread that then blocks can; docs/adr/0001-core-runtime.md, "Found the hard way").
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

    private void Send(int index, object? value) => _replies.Reply(_owner, new RemoteResult
    {
        ObjectId = GeneratorItems.IdOf(_taskId, index),
        TaskId = _taskId,
        Value = value,
        Node = _node,
        GeneratorItem = index + 1,
    }, _name, _driver);
}
