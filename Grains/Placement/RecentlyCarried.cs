using OrleansRay.Grains;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>The last results that went back in a reply (<see cref="OwnerReplies.CarryResultAsync"/>), so that the same
/// work sent again, because its sender never got that reply, is answered with its result rather than lost (an actor
/// skips a call it has seen) or run twice (a task).</summary>
/// <remarks>A ring of <see cref="Capacity"/> entries: a sender retries within moments, and a result ages out after as
/// many later ones. Only plain values are kept (<see cref="Add"/>): a result stored in the object store may be sent again
/// to rebuild a lost copy, and a value of a job's code would keep the job's code loaded. Thread-safe.</remarks>
internal sealed class RecentlyCarried
{
    /// <summary>Results remembered.</summary>
    public const int Capacity = 1024;

    private readonly RemoteResult?[] _ring = new RemoteResult?[Capacity];
    private readonly object _gate = new();
    private int _next;

    /// <summary>Remembers <paramref name="result"/> when it is a plain value: not one in the object store, not an error,
    /// not several returns, and nothing of a job's code (a value of a job's type, or an error holding a job's exception,
    /// kept here would keep that job's code loaded after the job ended).</summary>
    public void Add(RemoteResult result)
    {
        if (result.Error is not null || result.OtherReturns is not null || result.GeneratorCount != 0 || result.Value is { } value
            && (value is StoredObject || value.GetType().IsCollectible || !ValueShapes.CannotHoldRefs(value.GetType())))
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
