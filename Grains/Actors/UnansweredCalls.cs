namespace OrleansRay.Actors;

/// <summary>One outbox's calls from queueing until their results arrive, in sequence order: the calls its caller would
/// re-send if the actor's node died (Ray's actor task retries), and the floor each batch tells the host.</summary>
/// <remarks>Not thread-safe: the outbox's lock guards every member. Answered calls leave from the front only, so a call
/// answered out of order (by an actor with MaxConcurrency above 1) stays until the calls before it are answered; if its
/// node dies meanwhile it goes again as a skip marker, keeping the order on the rebuilt actor contiguous.</remarks>
internal sealed class UnansweredCalls
{
    private readonly Queue<ActorCallHandle> _calls = new();

    /// <summary>Counts a call queued by the caller (calls come in sequence order).</summary>
    public void Add(ActorCallHandle handle) => _calls.Enqueue(handle);

    /// <summary>The lowest sequence number whose result the caller still waits for, or <paramref name="next"/> when it
    /// waits for none: every call below it was answered, cancelled or given up (<see cref="ActorCallBatch.Floor"/>).</summary>
    public long Floor(long next)
    {
        Prune();
        return _calls.TryPeek(out var first) ? first.Sequence : next;
    }

    /// <summary>Takes back the calls <paramref name="node"/> had accepted (they count as on no node until re-sent), in
    /// sequence order; <paramref name="othersUnanswered"/> says whether calls it did not have still wait for results
    /// (on their way, queued here, or on another node).</summary>
    public List<ActorCallHandle> TakeLost(string node, out bool othersUnanswered)
    {
        Prune();
        var lost = new List<ActorCallHandle>();
        othersUnanswered = false;
        foreach (var handle in _calls)
        {
            if (string.Equals(handle.Node, node, StringComparison.Ordinal))
            {
                handle.Node = null;
                lost.Add(handle);
            }
            else if (!handle.Entry.IsComplete)
            {
                othersUnanswered = true;
            }
        }

        return lost;
    }

    /// <summary>The calls numbered <paramref name="sequences"/> (ascending) moved from node <paramref name="from"/> to
    /// <paramref name="to"/> with their actor: each one still unanswered that counts as on <paramref name="from"/> counts
    /// as on <paramref name="to"/> now. One whose acceptance is still on its way keeps the word for it
    /// (<see cref="ActorCallHandle.Move"/>). A call on another node was taken back and sent again since: the word is old
    /// and changes nothing. True when a call counts as on <paramref name="to"/> now. One pass: both are in sequence order.</summary>
    public bool Move(string from, string to, long[] sequences)
    {
        Prune();
        var moved = false;
        var next = 0;
        foreach (var handle in _calls)
        {
            while (next < sequences.Length && sequences[next] < handle.Sequence)
            {
                next++;
            }

            if (next == sequences.Length)
            {
                break;
            }

            if (sequences[next] != handle.Sequence || handle.Entry.IsComplete)
            {
                continue;
            }

            if (handle.Node is null)
            {
                handle.Move = (from, to);
            }
            else if (string.Equals(handle.Node, from, StringComparison.Ordinal))
            {
                handle.Node = to;
                moved = true;
            }
        }

        return moved;
    }

    /// <summary>Whether calls before the latest one still wait for results (the caller has calls in flight: a burst).</summary>
    public bool OthersInFlight()
    {
        Prune();
        return _calls.Count > 1;
    }

    /// <summary>Whether <paramref name="handle"/> is the only call still waiting for its result.</summary>
    public bool IsOnly(ActorCallHandle handle)
    {
        Prune();
        return _calls.Count == 1 && ReferenceEquals(_calls.Peek(), handle);
    }

    private void Prune()
    {
        while (_calls.TryPeek(out var first) && first.Entry.IsComplete)
        {
            _calls.Dequeue();
        }
    }
}
