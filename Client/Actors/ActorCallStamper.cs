using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
/// The <see cref="IActorCallRouter"/> of every OrleansRay silo and connected driver: the actors' proxies
/// (<see cref="ActorReference"/>) send through it, and calls to other grains never see it (a global grain call filter
/// cost every grain call of a node about 40% of its throughput). One instance per silo or client: its caller ids name
/// that process (Ray's submitter).
/// A silo learns of a dead target silo from Orleans (its pending calls fail with <see cref="SiloUnavailableException"/>);
/// an Orleans client does not (a call forwarded by its gateway to a node that died waits for the response timeout), so
/// on a connected driver this router also watches the cluster's node deaths and gives up the calls of an actor whose
/// node died at once.
/// </remarks>
internal sealed class ActorCallStamper : IActorCallRouter
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

    /// <inheritdoc />
    public ValueTask<T?> InvokeAsync<T>(ActorReference target, IRequest request) => SendStampedAsync<T>(target, request, CallKind.Result);

    /// <inheritdoc />
    public ValueTask InvokeAsync(ActorReference target, IRequest request)
    {
        var call = SendStampedAsync<object>(target, request, CallKind.NoResult);
        return call.IsCompletedSuccessfully ? default : new ValueTask(call.AsTask());
    }

    /// <inheritdoc />
    public void Invoke(ActorReference target, IRequest request) => _ = SendStampedAsync<object>(target, request, CallKind.OneWay);

    private enum CallKind
    {
        Result,
        NoResult,
        OneWay,
    }

    private static ValueTask<T?> Send<T>(ActorReference target, IRequest request, CallKind kind)
    {
        if (kind == CallKind.Result)
        {
            return target.SendAsync<T>(request);
        }

        var call = target.SendAsync(request);
        return call.IsCompletedSuccessfully ? default : AwaitNoResult<T>(call);
    }

    private static async ValueTask<T?> AwaitNoResult<T>(ValueTask call)
    {
        await call.ConfigureAwait(false);
        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T?> SendStampedAsync<T>(ActorReference target, IRequest request, CallKind kind)
    {
        var targetId = target.GrainId;
        var sequence = SequenceOf(targetId, out var number, out var floor);
        // Every call is stamped, the first of a burst too: the actor learns a caller's next number only from stamps. The
        // stamp is a field of the request (ActorRequest), so it travels with the call and nowhere else.
        if (request is ActorRequest stamped)
        {
            stamped.Stamp = new ActorCallStamp(sequence.Caller, number, floor);
        }

        try
        {
            if (kind == CallKind.OneWay)
            {
                target.Send(request);
                return default;
            }

            for (var attempt = 0; ; attempt++)
            {
                Exception lost;
                try
                {
                    if (attempt == 0)
                    {
                        var lostSignal = _watchNodeDeaths ? sequence.Lost : null;
                        var call = Send<T>(target, request, kind);
                        if (lostSignal is null)
                        {
                            return await call.ConfigureAwait(false);
                        }

                        var pending = call.AsTask();
                        if (await Task.WhenAny(pending, lostSignal).ConfigureAwait(false) != pending)
                        {
                            // The actor's node died with this call in flight: it will not be answered.
                            _ = pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                            throw new SiloUnavailableException("The actor's node died with this call in flight.");
                        }

                        return await pending.ConfigureAwait(false);
                    }

                    return await ResendAsync<T>(target, request, kind, sequence).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsLostWithNode(ex))
                {
                    lost = ex;
                }

                if (!await MayRetryAsync(targetId, sequence, attempt).ConfigureAwait(false))
                {
                    throw new ActorDiedException(
                        $"The call {request.GetInterfaceName()}.{request.GetMethodName()} to actor {ActorIdOf(targetId)} was lost with the actor's node " +
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

    /// <summary>Sends a copy of the call again, as a new Orleans call (the first may still be pending in Orleans, which
    /// allows one send per call), racing it against its actor's node dying again.</summary>
    private async Task<T?> ResendAsync<T>(ActorReference target, IRequest request, CallKind kind, CallSequence sequence)
    {
        var serializer = _services.GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<IInvokable>(serializer.SerializeToArray<IInvokable>(request)) as IRequest
            ?? throw new InvalidOperationException($"The call {request.GetMethodName()} could not be copied for a re-send.");
        var lostSignal = _watchNodeDeaths ? sequence.Lost : null;
        // A fresh stamp: the floor has moved since the first send (calls finished or were given up meanwhile).
        if (copy is ActorRequest stamped && stamped.Stamp is { } first)
        {
            stamped.Stamp = first with { Floor = sequence.Floor };
        }

        var call = Send<T>(target, copy, kind).AsTask();
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
