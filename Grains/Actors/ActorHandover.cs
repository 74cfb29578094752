using Orleans.Runtime;
using OrleansRay.Grains;

namespace OrleansRay.Actors;

/// <summary>What an actor that never started takes from one node to another (<see cref="IActorHostGrain.MoveToAsync"/>):
/// its creation, its restarts so far, the calls queued for it (per submitter, with where that submitter's order goes
/// on and where its results go), the cancels that came before their calls, and the node it leaves (whose the calls
/// were). It travels in the host grain's Orleans migration context.</summary>
internal sealed record ActorHandover(ActorCreationSpec Spec, int Restarts, ActorCallBatch[] Calls, WorkerId[] CancelledCallers, long[] CancelledSequences, string From)
{
    private const string SpecKey = "orleansray.actor.spec";
    private const string RestartsKey = "orleansray.actor.restarts";
    private const string CallsKey = "orleansray.actor.calls";
    private const string CancelledCallersKey = "orleansray.actor.cancelled-callers";
    private const string CancelledSequencesKey = "orleansray.actor.cancelled-sequences";
    private const string FromKey = "orleansray.actor.from";

    /// <summary>Under <paramref name="mailbox"/>'s lock: when it holds a class actor that never started and waits for its
    /// resources, marks it handed over (its resource request is withdrawn, its code hold released, its host detached)
    /// and takes its queued calls out; else null. An actor behind a grain interface is handed over only when
    /// <paramref name="grainUnattached"/> says no grain activation serves it yet (its calls are that activation's).</summary>
    public static ActorHandover? TryPack(ActorMailbox mailbox, ActorCreationSpec? spec, ActorState state, int restarts, ActorCallQueues queues, ActorResourceHold resources, ActorCodeHold code, bool grainUnattached, string from)
    {
        if (state != ActorState.Pending || spec is null || (spec.GrainType is not null && !grainUnattached) || !resources.TryHandOver())
        {
            return null;
        }

        mailbox.HostDetached = true;
        code.Release();
        var (callers, cancelled) = queues.TakeForMove();
        var batches = callers
            .Where(c => c.Calls.Count > 0)
            .Select(c => new ActorCallBatch(c.Calls.ToArray()) { Floor = c.Next, ReplyTo = mailbox.Replies.EndpointOf(c.Calls[0].Owner) })
            .ToArray();
        return new ActorHandover(spec, restarts, batches, cancelled.Select(c => c.Caller).ToArray(), cancelled.Select(c => c.Sequence).ToArray(), from);
    }

    /// <summary>Calls that reached a mailbox after its actor was handed over go on to the actor's host grain, which
    /// Orleans routes to its new activation; false when there is no host to forward to (the calls then stay).</summary>
    /// <remarks>The caller took the calls for this node's: once the actor's new host has them, it is told where they
    /// are (<see cref="TellCaller"/>).</remarks>
    public static bool Forward(ActorServices runtime, ActorId actor, ReadOnlySpan<ActorCall> calls, Grains.INodeEndpoint? replyTo, long floor)
    {
        var batch = new ActorCallBatch(calls.ToArray()) { ReplyTo = replyTo ?? runtime.Endpoint, Floor = floor };
        _ = runtime.GrainFactory.GetGrain<IActorHostGrain>(actor.ToGuid()).SubmitAsync(batch).ContinueWith(
            sent =>
            {
                if (sent.IsCompletedSuccessfully)
                {
                    TellCaller(runtime, actor, runtime.NodeId.Value ?? string.Empty, sent.Result.Node, batch);
                }
                else
                {
                    ActorLog.ForwardFailed(runtime.Logger, actor, sent.Exception?.GetBaseException().Message ?? "the forward was cancelled");
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }

    /// <summary>On the new activation: starts the actor in <paramref name="mailbox"/> with the calls and cancels it
    /// brought, and tells each caller its calls wait on this node now (they die with it, not with the node they left).
    /// With <paramref name="deadBecause"/> (its job ended on the way) it starts dead instead, and its calls fail so.</summary>
    public void Unpack(ActorMailbox mailbox, ActorServices runtime, string? deadBecause = null)
    {
        if (deadBecause is null)
        {
            mailbox.Start(Spec, Restarts);
        }
        else
        {
            mailbox.StartDead(Spec, deadBecause);
        }

        for (var i = 0; i < CancelledCallers.Length && i < CancelledSequences.Length; i++)
        {
            mailbox.CancelCall(CancelledCallers[i], CancelledSequences[i]);
        }

        var here = runtime.NodeId.Value ?? string.Empty;
        foreach (var batch in Calls)
        {
            mailbox.Submit(batch);
            TellCaller(runtime, Spec.ActorId, From, here, batch);
        }
    }

    /// <summary>Tells the caller of <paramref name="batch"/> (one submitter's calls) that they moved from node
    /// <paramref name="from"/> to <paramref name="node"/> (<see cref="Grains.INodeEndpoint.ActorCallsMovedAsync"/>).
    /// Nothing to tell when they stayed (a move taken back), or the caller has no endpoint; a send that fails at once is
    /// logged (a one-way message lost later is not seen).</summary>
    private static void TellCaller(ActorServices runtime, ActorId actor, string from, string node, ActorCallBatch batch)
    {
        if (batch.ReplyTo is not { } caller || batch.Calls.Length == 0 || string.Equals(from, node, StringComparison.Ordinal))
        {
            return;
        }

        var sequences = batch.Calls.Select(c => c.Sequence).ToArray();
        Array.Sort(sequences);
        var moved = new ActorCallsMoved(actor, node, batch.Calls[0].Caller, sequences, from);
        try
        {
            _ = caller.ActorCallsMovedAsync(moved);
        }
        catch (Exception ex)
        {
            ActorLog.CallerNotTold(runtime.Logger, actor, ex.Message);
        }
    }

    /// <summary>Writes it into the migration context of the host grain's old activation.</summary>
    public void Write(IDehydrationContext context)
    {
        context.TryAddValue(SpecKey, Spec);
        context.TryAddValue(RestartsKey, Restarts);
        context.TryAddValue(CallsKey, Calls);
        context.TryAddValue(CancelledCallersKey, CancelledCallers);
        context.TryAddValue(CancelledSequencesKey, CancelledSequences);
        context.TryAddValue(FromKey, From);
    }

    /// <summary>Reads it from the migration context of the host grain's new activation; null when none came.</summary>
    public static ActorHandover? Read(IRehydrationContext context) =>
        context.TryGetValue(SpecKey, out ActorCreationSpec? spec) && spec is not null
            ? new ActorHandover(
                spec,
                context.TryGetValue(RestartsKey, out int restarts) ? restarts : 0,
                context.TryGetValue(CallsKey, out ActorCallBatch[]? calls) && calls is not null ? calls : [],
                context.TryGetValue(CancelledCallersKey, out WorkerId[]? callers) && callers is not null ? callers : [],
                context.TryGetValue(CancelledSequencesKey, out long[]? sequences) && sequences is not null ? sequences : [],
                context.TryGetValue(FromKey, out string? from) && from is not null ? from : string.Empty)
            : null;
}
