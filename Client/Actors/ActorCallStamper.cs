using System.Collections.Concurrent;
using Orleans.Runtime;
using OrleansRay.Grains;

namespace OrleansRay.Actors;

/// <summary>The caller side of calls to actors behind grain interfaces: stamps each call with this process's caller id
/// and the call's sequence number for its actor (so the actor starts them in order), re-sends a call lost with the
/// actor's node while the actor's MaxTaskRetries allow, and otherwise reports such a loss as <see cref="ActorDiedException"/>.</summary>
/// <remarks>An Orleans outgoing call filter, registered on every OrleansRay silo and connected driver; calls to other
/// grains pass through untouched. One instance per silo or client: its caller id names that process (Ray's submitter).</remarks>
internal sealed class ActorCallStamper : IOutgoingGrainCallFilter
{
    private static readonly ConcurrentDictionary<Type, bool> ActorInterfaces = new();

    /// <summary>How long a re-send waits for the actor's node to be declared dead and the actor to come back.</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    /// <summary>Past this many actors called, sequences with nothing in flight are dropped (a later call starts a new one).</summary>
    private const int SweepAbove = 100_000;

    private readonly ConcurrentDictionary<GrainId, CallSequence> _sequences = new();
    private readonly IGrainFactory _grains;

    public ActorCallStamper(IGrainFactory grains) => _grains = grains;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.Request.GetInterfaceType() is not { } type || !ActorInterfaces.GetOrAdd(type, static t => t.IsInterface && typeof(IActor).IsAssignableFrom(t)))
        {
            await context.Invoke().ConfigureAwait(false);
            return;
        }

        CallSequence sequence;
        long number, floor;
        while (!(sequence = _sequences.GetOrAdd(context.TargetId, static _ => new CallSequence())).TryNext(out number, out floor))
        {
            _sequences.TryRemove(new KeyValuePair<GrainId, CallSequence>(context.TargetId, sequence));
        }

        if (_sequences.Count > SweepAbove)
        {
            Sweep();
        }

        RequestContext.Set(ActorCallStamp.Key, new ActorCallStamp(sequence.Caller, number, floor));
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await context.Invoke().ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (IsLostWithNode(ex))
                {
                    if (!await MayRetryAsync(context.TargetId, attempt).ConfigureAwait(false))
                    {
                        throw new ActorDiedException(
                            $"The call {context.InterfaceName}.{context.MethodName} to actor {ActorIdOf(context.TargetId)} was lost with the actor's node " +
                            $"({ex.GetType().Name}: {ex.Message}) and its MaxTaskRetries are used up. Set ActorOptions.MaxTaskRetries to re-send such calls to the restarted actor.");
                    }

                    await Task.Delay(RetryPause).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            sequence.Done(number);
        }
    }

    private void Sweep()
    {
        foreach (var (target, sequence) in _sequences)
        {
            if (sequence.TryRetire())
            {
                _sequences.TryRemove(new KeyValuePair<GrainId, CallSequence>(target, sequence));
            }
        }
    }

    /// <summary>Whether the call never got an answer because the node (or the connection to it) went away.</summary>
    private static bool IsLostWithNode(Exception ex) =>
        ex is SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException
        || (ex is OrleansMessageRejectionException && ex.Message.Contains("dead", StringComparison.OrdinalIgnoreCase));

    /// <summary>Asks the actor's host (which rebuilds the actor from its record if its node died) whether the call may be
    /// sent once more.</summary>
    private async Task<bool> MayRetryAsync(GrainId target, int attempt)
    {
        if (!target.TryGetGuidKey(out var key, out _))
        {
            return false;
        }

        try
        {
            var location = await _grains.GetGrain<IActorHostGrain>(key).LocateAsync().ConfigureAwait(false);
            return !location.Dead && attempt < location.MaxTaskRetries;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    private static string ActorIdOf(GrainId target) =>
        target.TryGetGuidKey(out var key, out _) ? ActorId.FromGuid(key).ToString() : target.ToString();

    /// <summary>One caller's sequence numbers for one actor, and its floor: the lowest number not finished yet. The
    /// caller id is the sequence's own, so a sequence dropped and begun again is a new caller to the actor.</summary>
    private sealed class CallSequence
    {
        private readonly object _lock = new();
        private readonly HashSet<long> _doneAboveFloor = new();
        private long _next;
        private long _floor;
        private bool _retired;

        public Guid Caller { get; } = Guid.NewGuid();

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

        /// <summary>Retires the sequence if nothing of it is in flight.</summary>
        public bool TryRetire()
        {
            lock (_lock)
            {
                _retired |= _floor == _next;
                return _retired;
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
    }
}
