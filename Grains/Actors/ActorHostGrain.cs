using Microsoft.Extensions.Logging;
using Orleans.Placement;
using OrleansRay.Grains;
using OrleansRay.Runtime;

namespace OrleansRay.Actors;

/// <summary>The grain face of an actor: receives creation, call batches and kills, and hands them to its mailbox.</summary>
/// <remarks>
/// [KeepAlive]: an actor's state lives in this activation, so Orleans must never collect it for idleness. Methods only
/// enqueue and return; the actor's code runs on the node's worker threads, so the grain is never busy for long.
/// </remarks>
[KeepAlive]
[PreferLocalPlacement]
internal sealed class ActorHostGrain : Grain, IActorHostGrain
{
    private readonly ActorMailbox _mailbox;

    public ActorHostGrain(NodeRuntime runtime, ILogger<ActorHostGrain> logger)
    {
        _mailbox = new ActorMailbox(runtime, logger);
    }

    public Task CreateAsync(ActorCreationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _mailbox.Start(spec);
        return Task.CompletedTask;
    }

    public Task SubmitAsync(ActorCallBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_mailbox.IsCreated)
        {
            // This activation never saw a creation: the actor's node died or it was never created here.
            var id = ActorId.FromGuid(this.GetPrimaryKey());
            _mailbox.Start(new ActorCreationSpec { ActorId = id, ClassName = "(unknown)", Constructor = null! });
        }

        _mailbox.Submit(batch);
        return Task.CompletedTask;
    }

    public Task KillAsync(bool noRestart, string reason)
    {
        _mailbox.Kill(noRestart, reason);
        return Task.CompletedTask;
    }

    public Task<ActorInfo?> GetInfoAsync() => Task.FromResult(_mailbox.Info());
}
