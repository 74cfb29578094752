using OrleansRay.Grains;

namespace OrleansRay.Placement;

/// <summary>The last results that went back in a reply (<see cref="OwnerReplies.CarryResultAsync"/>), so that the same
/// work sent again, because its sender never got that reply, is answered with its result rather than lost (an actor
/// skips a call it has seen) or run twice (a task).</summary>
/// <remarks>A ring of <see cref="Capacity"/> entries: a sender retries within moments, and a result ages out after as
/// many later ones. Results stored in the object store are not kept: one sent again may be a rebuild of a lost copy.
/// Thread-safe.</remarks>
internal sealed class RecentlyCarried
{
    /// <summary>Results remembered.</summary>
    public const int Capacity = 1024;

    private readonly RemoteResult?[] _ring = new RemoteResult?[Capacity];
    private readonly object _gate = new();
    private int _next;

    /// <summary>Remembers <paramref name="result"/> unless its value is in the object store.</summary>
    public void Add(RemoteResult result)
    {
        if (result.Value is StoredObject || result.OtherReturns is not null)
        {
            return;
        }

        lock (_gate)
        {
            _ring[_next] = result;
            _next = (_next + 1) % Capacity;
        }
    }

    /// <summary>The remembered result of object <paramref name="id"/>, or null.</summary>
    public RemoteResult? Recall(ObjectId id)
    {
        lock (_gate)
        {
            foreach (var result in _ring)
            {
                if (result is not null && result.ObjectId == id)
                {
                    return result;
                }
            }
        }

        return null;
    }
}
