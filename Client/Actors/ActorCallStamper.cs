using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.CodeGeneration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Invocation;
using OrleansRay.Grains;
using OrleansRay.Node;

namespace OrleansRay.Actors;

/// <summary>The caller side of calls to actors behind grain interfaces: stamps each call with its caller id and its
/// sequence number for its actor (so the actor starts them in order), re-sends a call lost with the actor's node while
/// the actor's MaxTaskRetries allow, and otherwise reports such a loss as <see cref="ActorDiedException"/>.</summary>
/// <remarks>
/// An Orleans outgoing call filter, registered on every OrleansRay silo and connected driver; calls to other grains pass
/// through untouched. One instance per silo or client: its caller ids name that process (Ray's submitter).
/// A silo learns of a dead target silo from Orleans (its pending calls fail with <see cref="SiloUnavailableException"/>);
/// an Orleans client does not (a call forwarded by its gateway to a node that died waits for the response timeout), so
/// on a connected driver this filter also watches the cluster's node deaths and gives up the calls of an actor whose
/// node died at once.
/// </remarks>
internal sealed class ActorCallStamper : IOutgoingGrainCallFilter
{
    /// <summary>How long a re-send waits for the actor's node to be declared dead and the actor to come back.</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    /// <summary>Past this many actors called, sequences with nothing in flight are dropped (a later call starts a new one).</summary>
    private const int SweepAbove = 100_000;

    private readonly ConcurrentDictionary<GrainId, CallSequence> _sequences = new();

    /// <summary>Nodes declared dead (a node learned for an actor after its death must not be believed).</summary>
    private readonly ConcurrentDictionary<string, byte> _deadNodes = new(StringComparer.Ordinal);
    private readonly IServiceProvider _services;
    private readonly bool _watchNodeDeaths;
    private int _created;
    private int _watching;

    /// <param name="services">The silo's or client's services.</param>
    /// <param name="watchNodeDeaths">True on an Orleans client (a connected driver): see the remarks.</param>
    public ActorCallStamper(IServiceProvider services, bool watchNodeDeaths)
    {
        _services = services;
        _watchNodeDeaths = watchNodeDeaths;
    }

    /// <summary>A call through an actor's proxy: every method of it, those its contract inherits from other grain
    /// interfaces too (Orleans names the declaring interface in the request, so the proxy is what tells).</summary>
    public Task Invoke(IOutgoingGrainCallContext context) =>
        context.Grain is IActor ? InvokeActorAsync(context) : context.Invoke();

    private async Task InvokeActorAsync(IOutgoingGrainCallContext context)
    {
        if (Resending.Value)
        {
            // A re-send of a call this filter stamped (below): it keeps its stamp.
            await context.Invoke().ConfigureAwait(false);
            return;
        }

        var sequence = SequenceOf(context.TargetId, out var number, out var floor);
        // Every call is stamped, the first of a burst too: the actor learns a caller's next number only from stamps.
        RequestContext.Set(ActorCallStamp.Key, new ActorCallStamp(sequence.Caller, number, floor));
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                Exception lost;
                try
                {
                    if (attempt == 0)
                    {
                        var lostSignal = _watchNodeDeaths ? sequence.Lost : null;
                        var call = context.Invoke();
                        if (lostSignal is not null && !call.IsCompleted && await Task.WhenAny(call, lostSignal).ConfigureAwait(false) != call)
                        {
                            // The actor's node died with this call in flight: it will not be answered.
                            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                            throw new SiloUnavailableException("The actor's node died with this call in flight.");
                        }

                        await call.ConfigureAwait(false);
                    }
                    else
                    {
                        context.Result = await ResendAsync(context, sequence).ConfigureAwait(false);
                    }

                    return;
                }
                catch (Exception ex) when (IsLostWithNode(ex))
                {
                    lost = ex;
                }

                if (!await MayRetryAsync(context.TargetId, sequence, attempt).ConfigureAwait(false))
                {
                    throw new ActorDiedException(
                        $"The call {context.InterfaceName}.{context.MethodName} to actor {ActorIdOf(context.TargetId)} was lost with the actor's node " +
                        $"({lost.GetType().Name}: {lost.Message}) and its MaxTaskRetries are used up. Set ActorOptions.MaxTaskRetries to re-send such calls to the restarted actor.");
                }

                await Task.Delay(RetryPause).ConfigureAwait(false);
            }
        }
        finally
        {
            sequence.Done(number);
        }
    }

    /// <summary>Whether a re-send made by this filter is on its way through the filters.</summary>
    private static readonly AsyncLocal<bool> Resending = new();

    /// <summary>Sends a copy of the call again, as a new Orleans call (the first may still be pending in Orleans, which
    /// allows one send per call), racing it against its actor's node dying again.</summary>
    private async Task<object?> ResendAsync(IOutgoingGrainCallContext context, CallSequence sequence)
    {
        var serializer = _services.GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<IInvokable>(serializer.SerializeToArray(context.Request))
            ?? throw new InvalidOperationException($"The call {context.MethodName} could not be copied for a re-send.");
        var runtime = _services.GetRequiredService<IGrainReferenceRuntime>();
        var lostSignal = _watchNodeDeaths ? sequence.Lost : null;
        // A fresh stamp: the floor has moved since the first send (calls finished or were given up meanwhile).
        if (RequestContext.Get(ActorCallStamp.Key) is ActorCallStamp first)
        {
            RequestContext.Set(ActorCallStamp.Key, first with { Floor = sequence.Floor });
        }

        Resending.Value = true;
        var call = runtime.InvokeMethodAsync<object>((GrainReference)context.Grain, copy, InvokeMethodOptions.None).AsTask();
        Resending.Value = false;
        if (lostSignal is not null && await Task.WhenAny(call, lostSignal).ConfigureAwait(false) != call)
        {
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new SiloUnavailableException("The actor's node died with this call in flight.");
        }

        return await call.ConfigureAwait(false);
    }

    private CallSequence SequenceOf(GrainId target, out long number, out long floor)
    {
        CallSequence sequence;
        while (!(sequence = _sequences.GetOrAdd(target, NewSequence)).TryNext(out number, out floor))
        {
            _sequences.TryRemove(new KeyValuePair<GrainId, CallSequence>(target, sequence));
        }

        if (_watchNodeDeaths)
        {
            WatchNodeDeaths();
            if (sequence.Node is null && sequence.TryStartLearningNode())
            {
                _ = LearnNodeAsync(target, sequence);
            }
        }

        return sequence;
    }

    private CallSequence NewSequence(GrainId target)
    {
        if (Interlocked.Increment(ref _created) % SweepAbove == 0)
        {
            Sweep();
        }

        return new CallSequence();
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

    private void WatchNodeDeaths()
    {
        if (Volatile.Read(ref _watching) == 0 && Interlocked.Exchange(ref _watching, 1) == 0 && _services.GetService<NodeRuntime>() is { } runtime)
        {
            runtime.Cluster.Deaths.Died += NodeDied;
        }
    }

    private void NodeDied(NodeId node)
    {
        _deadNodes[node.Value] = 0;
        foreach (var sequence in _sequences.Values)
        {
            sequence.NodeDied(node.Value);
        }
    }

    private async Task LearnNodeAsync(GrainId target, CallSequence sequence)
    {
        string? node = null;
        try
        {
            if (target.TryGetGuidKey(out var key, out _))
            {
                node = (await _services.GetRequiredService<IGrainFactory>().GetGrain<IActorHostGrain>(key).LocateAsync().ConfigureAwait(false)).Node;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not known now; the next call asks again.
        }

        sequence.LearnedNode(node, _deadNodes.ContainsKey);
    }

    /// <summary>Whether the call never got an answer because the node (or the connection to it) went away: Orleans
    /// says so with <see cref="SiloUnavailableException"/> once the node is declared dead, and before that with a
    /// rejection (<see cref="OrleansMessageRejectionException"/>, no connection to the node) or a connection failure.</summary>
    private static bool IsLostWithNode(Exception ex) =>
        ex is OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException;

    /// <summary>How long a caller keeps asking the actor's host whether to re-send while the host itself is unreachable
    /// (it lived on the node that died, until membership declares that node dead and it is rebuilt elsewhere).</summary>
    private static readonly TimeSpan HostRecovery = TimeSpan.FromSeconds(60);

    /// <summary>Asks the actor's host (which rebuilds the actor from its record if its node died) whether the call may be
    /// sent once more: true while the actor lives and its MaxTaskRetries allow.</summary>
    private async Task<bool> MayRetryAsync(GrainId target, CallSequence sequence, int attempt)
    {
        if (!target.TryGetGuidKey(out var key, out _))
        {
            return false;
        }

        var deadline = DateTime.UtcNow + HostRecovery;
        while (true)
        {
            try
            {
                var location = await _services.GetRequiredService<IGrainFactory>().GetGrain<IActorHostGrain>(key).LocateAsync().ConfigureAwait(false);
                sequence.LearnedNode(location.Node, _deadNodes.ContainsKey);
                return !location.Dead && attempt < location.MaxTaskRetries;
            }
            catch (Exception ex) when (IsLostWithNode(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(RetryPause).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return false;
            }
        }
    }

    private static string ActorIdOf(GrainId target) =>
        target.TryGetGuidKey(out var key, out _) ? ActorId.FromGuid(key).ToString() : target.ToString();
}
