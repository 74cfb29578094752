using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Placement;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Actors;

/// <summary>What the Actors layer works with, all from the layers below it: the node's identity, its objects, its worker
/// threads, its scheduler (an actor's resources), its cluster scheduler (placing actors) and the replies to owners.
/// Built once by the node's composition root; shared by the actor submitter, outboxes, mailboxes and host grains.</summary>
internal sealed class ActorServices
{
    private long _callsRun;
    private ActorTableClient? _actorTable;

    /// <param name="host">The node runtime (what <see cref="TaskContext.Host"/> gives code running in an actor).</param>
    /// <param name="node">This node's identity.</param>
    /// <param name="reader">Reads arguments and owned objects.</param>
    /// <param name="pool">The worker threads actor code runs on.</param>
    /// <param name="scheduler">The ledger an actor's resources are taken from.</param>
    /// <param name="cluster">Places actors and says whether other nodes exist.</param>
    /// <param name="replies">Sends call results to owners on other nodes.</param>
    public ActorServices(object host, LocalNode node, ObjectReader reader, WorkerPool pool, SchedulerEngine scheduler, ClusterScheduler cluster, OwnerReplies replies)
    {
        Host = host;
        Node = node;
        Reader = reader;
        Pool = pool;
        Scheduler = scheduler;
        Cluster = cluster;
        Replies = replies;
    }

    /// <summary>The job code packages of the node (null: it runs no shipped code).</summary>
    public Code.CodePackages? Code { get; init; }

    /// <summary>The node runtime, as code running in an actor sees it through <see cref="TaskContext.Host"/>.</summary>
    public object Host { get; }

    /// <summary>This node's identity.</summary>
    public LocalNode Node { get; }

    /// <summary>Reads arguments and owned objects.</summary>
    public ObjectReader Reader { get; }

    /// <summary>The objects this node owns.</summary>
    public ObjectTable Objects => Reader.Objects;

    /// <summary>The worker threads actor code runs on.</summary>
    public WorkerPool Pool { get; }

    /// <summary>The ledger an actor's resources are taken from.</summary>
    public SchedulerEngine Scheduler { get; }

    /// <summary>Places actors; knows the other nodes.</summary>
    public ClusterScheduler Cluster { get; }

    /// <summary>Sends call results to owners on other nodes.</summary>
    public OwnerReplies Replies { get; }

    /// <summary>The actors this node hosts (and a bounded tail of dead ones), for the dashboard.</summary>
    public HostedActorRegistry HostedActors { get; } = new();

    /// <summary>This node's way to the control store's actor table (made on first use: the grain factory may not reach a
    /// cluster before then).</summary>
    public ActorTableClient ActorTable => LazyInitializer.EnsureInitialized(ref _actorTable, () => new ActorTableClient(GrainFactory, Logger));

    /// <summary>Warns once per shape about actors created here that no live node could hold (null: no warnings, as in
    /// unit tests).</summary>
    public InfeasibleWarnings? Infeasible { get; init; }

    /// <summary>Where the actor layer's shared parts log (the node runtime's logger; none in unit tests).</summary>
    public Microsoft.Extensions.Logging.ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>This node's id.</summary>
    public NodeId NodeId => Node.NodeId;

    /// <summary>The worker id that owns this node's objects and stamps its actor calls.</summary>
    public WorkerId WorkerId => Node.WorkerId;

    /// <summary>The grain factory of this node's silo or client.</summary>
    public IGrainFactory GrainFactory => Node.GrainFactory;

    /// <summary>This node's endpoint (null before it joined a cluster).</summary>
    public INodeEndpoint? Endpoint => Node.Endpoint;

    /// <summary>True when calls may run in another process: object arguments then travel as values.</summary>
    public bool IsClustered => Cluster.IsClustered;

    /// <summary>Actor calls run on this node.</summary>
    public long ActorCallsRun => Interlocked.Read(ref _callsRun);

    /// <summary>Counts one actor call run here.</summary>
    public void RecordActorCall() => Interlocked.Increment(ref _callsRun);

    /// <summary>A lone call that came on this node's task channel for an actor it hosts (ADR 0025): queued in the
    /// actor's mailbox and its result waited for, as the host grain's <see cref="IActorHostGrain.SubmitLoneAsync"/> does,
    /// without the grain's turn (the mailbox takes calls from any thread, as from callers on this node).</summary>
    /// <returns>As <see cref="IActorHostGrain.SubmitLoneAsync"/> answers; null, having queued nothing, when the actor is
    /// not started here or its host grain is going away (the caller then sends through the host grain, which rebuilds
    /// or finds it).</returns>
    public async Task<ActorCallsAccepted?> SubmitLoneHereAsync(ActorId actor, ActorCallBatch batch)
    {
        if (HostedActors.Find(actor) is not { IsCreated: true, HostDetached: false } mailbox || batch.Calls is not [{ Streaming: false, Skip: false } call])
        {
            return null;
        }

        var result = await Replies.CarryResultAsync(call.ReturnId, () => mailbox.Submit(batch)).ConfigureAwait(false);
        return new ActorCallsAccepted(NodeId.Value ?? string.Empty, mailbox.MaxTaskRetries) { Result = result };
    }
}
