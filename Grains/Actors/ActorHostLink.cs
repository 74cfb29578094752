using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Placement;

namespace OrleansRay.Actors;

/// <summary>How an <see cref="ActorOutbox"/> reaches its actor: straight to the actor's mailbox when the actor lives on
/// this node and its host grain is active here, else through the host grain, retrying while the actor's node is
/// unreachable.</summary>
internal sealed class ActorHostLink
{
    /// <summary>How long sends are retried while the actor's node is unreachable: membership declares a dead node
    /// within seconds (MembershipTuning), then the next send activates the actor elsewhere.</summary>
    private static readonly TimeSpan RetryWindow = TimeSpan.FromSeconds(30);

    private readonly ActorServices _runtime;
    private readonly ActorId _actorId;
    private readonly IActorHostGrain _host;

    /// <summary>The last answer made up for a batch handed to the local mailbox (reused while it still holds).</summary>
    private ActorCallsAccepted? _localAccepted;

    /// <summary>The node the actor's host last answered from (where a lone call goes on the task channel).</summary>
    private string? _hostNode;

    public ActorHostLink(ActorServices runtime, ActorId actorId, IActorHostGrain host)
    {
        _runtime = runtime;
        _actorId = actorId;
        _host = host;
    }

    /// <summary>The actor's mailbox when the actor lives on this node and its host grain is active here (calls and
    /// cancels then go to it directly, as the grain would pass them on); else null.</summary>
    public ActorMailbox? LocalMailbox() =>
        _runtime.HostedActors.Find(_actorId) is { IsCreated: true, HostDetached: false } local ? local : null;

    /// <summary>Hands <paramref name="calls"/> to the actor's mailbox when the actor lives here (as the grain would: the
    /// mailbox is thread-safe and refuses calls once dead), without an Orleans message, two thread hand-offs per call or
    /// an await; null when it does not live here.</summary>
    /// <param name="calls">The calls, in order (a lone call as a span over itself: no batch or array is made).</param>
    /// <param name="floor">The caller's floor now (<see cref="ActorCallBatch.Floor"/>).</param>
    public ActorCallsAccepted? TrySubmitLocal(ReadOnlySpan<ActorCall> calls, Func<long> floor)
    {
        if (LocalMailbox() is not { } local)
        {
            return null;
        }

        local.Submit(calls, _runtime.Endpoint, floor());
        var node = _runtime.NodeId.Value ?? string.Empty;
        var retries = local.MaxTaskRetries;
        return _localAccepted is { } accepted && accepted.MaxTaskRetries == retries && accepted.Node == node
            ? accepted
            : _localAccepted = new ActorCallsAccepted(node, retries);
    }

    /// <summary>Runs the local actor's queued calls up to <paramref name="awaited"/>'s on the calling thread, if the
    /// actor is on this node and no worker thread has started them.</summary>
    public bool TryRunHere(ObjectEntry awaited) => LocalMailbox() is { } local && local.Dispatcher.TryRunHere(awaited);

    /// <summary>Sends one batch, again and again while the actor's node is unreachable (within <see cref="RetryWindow"/>);
    /// each attempt carries the floor as of then, so calls given up meanwhile no longer hold the host back. A lone call
    /// goes with <see cref="IActorHostGrain.SubmitLoneAsync"/>, whose answer may carry its result.</summary>
    public async Task<ActorCallsAccepted> SendWithRetryAsync(ActorCall[] calls, Func<long> floor)
    {
        var deadline = DateTime.UtcNow + RetryWindow;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                if (TrySubmitLocal(calls, floor) is { } local)
                {
                    return local; // the actor came to this node while the send was retrying
                }

                var batch = new ActorCallBatch(calls) { ReplyTo = _runtime.Endpoint, Floor = floor() };
                if (calls is [{ Streaming: false, Skip: false }])
                {
                    // A lone call goes on the task channel of the node the host last answered from, straight to the
                    // actor's mailbox there (ADR 0025); when the actor is not there (moved, rebuilding) or the channel
                    // is not connected, through the host grain.
                    if (_hostNode is { } node && _runtime.Cluster.ChannelTo(node)?.TrySendActorCall(_actorId, batch) is { } sent
                        && await SentOrRefusedAsync(sent).ConfigureAwait(false) is { } direct)
                    {
                        return direct;
                    }

                    if (await _host.SubmitLoneAsync(batch).ConfigureAwait(false) is { } lone)
                    {
                        _hostNode = lone.Node;
                        return lone;
                    }
                }

                var accepted = await _host.SubmitAsync(batch).ConfigureAwait(false);
                _hostNode = accepted.Node;
                return accepted;
            }
            catch (Exception ex) when (SendFailures.IsTransient(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 2));
            }
        }
    }

    /// <summary>The channel's answer; null when the node refused the request (nothing was queued) or the actor is not
    /// there.</summary>
    private static async Task<ActorCallsAccepted?> SentOrRefusedAsync(Task<ActorCallsAccepted?> sent)
    {
        try
        {
            return await sent.ConfigureAwait(false);
        }
        catch (Transport.TaskChannelRefusedException)
        {
            return null;
        }
    }

    /// <summary>Tells the actor's host that call <paramref name="sequence"/> of <paramref name="caller"/> is cancelled.</summary>
    public async Task CancelSentAsync(WorkerId caller, long sequence, ILogger logger)
    {
        try
        {
            await _host.CancelCallAsync(caller, sequence).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The caller's result already says Cancelled; an actor that cannot be reached cannot run the call either.
            ActorSubmitter.LogCancelUndelivered(logger, _actorId, ex.Message);
        }
    }
}
