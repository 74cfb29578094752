namespace OrleansRay.Actors;

/// <summary>One caller's calls to one actor behind a grain interface: their sequence numbers, the floor (the lowest
/// number not finished yet), the node the actor lives on as last learned, and a signal that fires when that node dies.
/// The caller id is the sequence's own, so a sequence dropped and begun again is a new caller to the actor.
/// Thread-safe.</summary>
internal sealed class CallSequence
{
    private readonly object _lock = new();
    private readonly HashSet<long> _doneAboveFloor = new();
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _next;
    private long _floor;
    private bool _retired;
    private int _learning;

    public Guid Caller { get; } = Guid.NewGuid();

    /// <summary>The actor's node as last learned (null: not known).</summary>
    public string? Node { get; private set; }

    /// <summary>Completes when the node the actor lived on dies (a new signal for calls after that).</summary>
    public Task Lost
    {
        get
        {
            lock (_lock)
            {
                return _lost.Task;
            }
        }
    }

    public bool TryNext(out long number, out long floor)
    {
        lock (_lock)
        {
            floor = _floor;
            number = _next;
            if (_retired)
            {
                return false;
            }

            _next++;
            return true;
        }
    }

    public void Done(long number)
    {
        lock (_lock)
        {
            if (number != _floor)
            {
                _doneAboveFloor.Add(number);
                return;
            }

            _floor++;
            while (_doneAboveFloor.Remove(_floor))
            {
                _floor++;
            }
        }
    }

    /// <summary>Retires the sequence if nothing of it is in flight.</summary>
    public bool TryRetire()
    {
        lock (_lock)
        {
            _retired |= _floor == _next;
            return _retired;
        }
    }

    /// <summary>True for the one caller that should ask where the actor lives now.</summary>
    public bool TryStartLearningNode() => Interlocked.Exchange(ref _learning, 1) == 0;

    /// <summary>The actor lives on <paramref name="node"/>, as its host said (ignored if that node has been declared
    /// dead since: the answer predates the death).</summary>
    public void LearnedNode(string? node, Func<string, bool> isDead)
    {
        lock (_lock)
        {
            Node = string.IsNullOrEmpty(node) || isDead(node) ? null : node;
        }

        Volatile.Write(ref _learning, 0);
    }

    /// <summary>The lowest number not finished yet.</summary>
    public long Floor
    {
        get
        {
            lock (_lock)
            {
                return _floor;
            }
        }
    }

    /// <summary>A node died: if the actor lived there, its calls in flight are lost, and its node is to be learned again.</summary>
    public void NodeDied(string node)
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            if (!string.Equals(Node, node, StringComparison.Ordinal))
            {
                return;
            }

            Node = null;
            fired = _lost;
            _lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.TrySetResult();
    }
}
