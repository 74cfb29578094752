using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Scheduling;
using OrleansRay.Ownership;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>This runtime's view of the cluster and its placement of the tasks it owns: here, or spilled to another node
/// (Ray's hybrid policy, SPREAD, node affinity, placement-group bundles), and re-run elsewhere when a node dies.</summary>
/// <remarks>
/// The view comes from the node table, refreshed every <see cref="RefreshPeriod"/> (a node's row carries its endpoint,
/// total and free resources; liveness comes from Orleans membership). Between refreshes, tasks sent to a node count
/// against its free resources here, so a burst does not land on one node. A task that fits no live node is parked,
/// shown as an infeasible demand, and placed at the first refresh that shows a node it fits.
/// </remarks>
internal sealed class ClusterScheduler : IDisposable
{
    /// <summary>How often the view is refreshed: short enough that a dead node's tasks move within a second of
    /// membership declaring it dead, long enough to cost nothing (one small grain call).</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromMilliseconds(300);

    private readonly LocalNode _node;
    private readonly SchedulerEngine _scheduler;
    private readonly ObjectReader _reader;
    private readonly TaskAttempts _attempts;
    private readonly ILogger _logger;
    private readonly ActorPlacement _actors;
    private readonly ConcurrentDictionary<TaskId, TaskSpec> _inFlight = new();
    private readonly ParkedTasks _parked = new();
    private int _spreadCursor;

    /// <param name="node">This node's identity.</param>
    /// <param name="scheduler">This node's scheduler engine (queued work that may spill over, free resources).</param>
    /// <param name="reader">Reads object arguments of tasks sent to other nodes.</param>
    /// <param name="attempts">Finishes owned tasks that ran elsewhere or could not be placed.</param>
    /// <param name="logger">Logs sends, node deaths and re-runs.</param>
    public ClusterScheduler(LocalNode node, SchedulerEngine scheduler, ObjectReader reader, TaskAttempts attempts, ILogger logger)
    {
        _node = node;
        _scheduler = scheduler;
        _reader = reader;
        _attempts = attempts;
        _logger = logger;
        Refresh = new ClusterRefresh(this, node, logger);
        Copies = new StoredCopies(Refresh);
        Deaths = new NodeDeaths(logger);
        reader.OwnerWatch = Refresh; // a borrower's read asks this view whether the object's owner died
        _actors = new ActorPlacement(node, scheduler);
    }

    /// <summary>Tells the other nodes to delete their copies of objects this runtime's owner freed.</summary>
    public StoredCopies Copies { get; }

    /// <summary>The view of the other nodes and the loop that refreshes it.</summary>
    public ClusterRefresh Refresh { get; }

    /// <summary>The live nodes other than this one, as last seen.</summary>
    public IReadOnlyList<RemoteNode> Nodes => Refresh.Nodes;

    /// <summary>Announces each node membership declared dead (on the refresh loop), before its tasks are placed again.</summary>
    public NodeDeaths Deaths { get; }

    /// <summary>True when work may run in another process (a connected driver, or a node with other nodes): object
    /// arguments then travel as values.</summary>
    public bool IsClustered => !_node.CanExecute || Refresh.Nodes.Length > 0;

    /// <summary>Takes results of tasks this runtime owns that came back in the reply to their send (set by the node runtime
    /// to where results from <see cref="INodeEndpoint.DeliverResultsAsync"/> go).</summary>
    public Action<RemoteResult[]>? ResultsReturned { get; set; }

    /// <summary>This runtime's task channel to node <paramref name="node"/> (its id's text), when the node is alive in
    /// the view and has one.</summary>
    public TaskChannelClient? ChannelTo(string node)
    {
        foreach (var remote in Refresh.Nodes)
        {
            if (remote.IsAlive && remote.Channel is { } channel && remote.Id.Value == node)
            {
                return channel;
            }
        }

        return null;
    }

    /// <summary>Opens an owner's connection to a node's task channel ("address:port", <see cref="NodeStatus.TaskChannel"/>);
    /// null: this runtime sends every task through Orleans messaging. Set by the composition root.</summary>
    public Func<string, TaskChannelClient?>? OpenTaskChannel { get; set; }

    /// <summary>Actors and primary copies on this node, for its row (set by the node runtime; null reports 0).</summary>
    public INodeOccupancy? Occupancy { get; set; }

    /// <summary>This node's row for the node table.</summary>
    public NodeStatus LocalStatus()
    {
        var demands = _scheduler.Queued.Demands();
        var parked = ParkedDemands();
        if (parked.Count > 0)
        {
            demands = demands.Concat(parked).ToList();
        }

        return new NodeStatus(_node.NodeId, _node.Name, IsAlive: !_node.IsDisposed, _scheduler.Resources.Total, _scheduler.Resources.Available(), demands, DateTimeOffset.UtcNow)
        {
            Endpoint = _node.Endpoint,
            Gateway = _node.Options.Gateway,
            TaskChannel = _node.TaskChannel,
            Store = _reader.Store is { } store ? new NodeStoreInfo(store.SocketPath, store.Endpoint, MachineIdentity.Value) : null,
            RunningTaskCount = _scheduler.RunningCount,
            WaitingTaskCount = _scheduler.Counts.WaitingForArgs,
            StartedAsHead = _node.Options.StartedAsHead,
        }.WithOccupancy(Occupancy);
    }

    /// <summary>The tasks this runtime owns that run (or wait) on other nodes now, a copy (a removed placement group's cancel).</summary>
    public ICollection<TaskSpec> InFlight => _inFlight.Values;

    /// <summary>Tasks parked because no live node has their resources.</summary>
    public List<ResourceDemandInfo> ParkedDemands() => _parked.Demands();

    /// <summary>Placement as the scheduler engine asks for it (through the node runtime, its <see cref="ITaskPlacer"/>): false (it runs here) until the cluster view started, since a node that
    /// has not joined a cluster places nothing elsewhere; then <see cref="TryPlace"/>.</summary>
    public bool TryPlaceElsewhere(TaskSpec spec) => Refresh.IsStarted && TryPlace(spec);

    /// <summary>Places a task this runtime owns: true when the task was taken off this node.</summary>
    public bool TryPlace(TaskSpec spec)
    {
        var nodes = Refresh.PlacementNodes;
        if (nodes.Length == 0 && _node.CanExecute && spec.Placement.Kind != PlacementKind.NodeAffinity)
        {
            return false; // a single node: everything runs (or waits, or shows infeasible) here
        }

        var canRunHere = _node.CanExecute && spec.Resources.FitsIn(_scheduler.Resources.Total);
        if (Refresh.Nodes.Length == 0 && _node.CanExecute)
        {
            if (spec.Placement.Kind == PlacementKind.NodeAffinity && !spec.Placement.Soft && spec.Placement.Node != _node.NodeId)
            {
                return _parked.Unseen.TryWait(spec, Refresh) || FailUnplaceable(spec, NodeAffinityFailure.Message(spec, null));
            }

            return false; // a single node: everything runs (or waits, or shows infeasible) here
        }

        switch (spec.Placement.Kind)
        {
            case PlacementKind.NodeAffinity:
            case PlacementKind.PlacementGroup when spec.Placement.Node.Value is not null:
                {
                    var target = spec.Placement.Node;
                    if (target == _node.NodeId && _node.CanExecute)
                    {
                        return false;
                    }

                    var node = Refresh.Nodes.FirstOrDefault(n => n.Id == target);
                    if (node is not null && spec.Resources.FitsIn(node.Total))
                    {
                        return Send(spec, node);
                    }

                    if (!spec.Placement.Soft)
                    {
                        return (node is null && _parked.Unseen.TryWait(spec, Refresh)) || FailUnplaceable(spec, spec.Placement.Kind == PlacementKind.PlacementGroup
                            ? $"Task {spec.DisplayName} belongs to a placement-group bundle on node {target}, which is not alive."
                            : NodeAffinityFailure.Message(spec, node));
                    }

                    break;
                }

            case PlacementKind.Spread:
                {
                    var candidates = new List<RemoteNode?>(nodes.Length + 1);
                    if (canRunHere)
                    {
                        candidates.Add(null);
                    }

                    foreach (var node in nodes) // not a lambda: capturing spec costs every call a closure, spread or not
                    {
                        if (spec.Resources.FitsIn(node.Total))
                        {
                            candidates.Add(node);
                        }
                    }

                    if (candidates.Count == 0)
                    {
                        return Park(spec);
                    }

                    var pick = candidates[(int)((uint)Interlocked.Increment(ref _spreadCursor) % (uint)candidates.Count)];
                    return pick is not null && Send(spec, pick);
                }
        }

        // Ray's hybrid policy: here while this node can start it now; else the node with the most room now; else wait
        // here if this node could ever run it; else queue at the feasible node with the least work sent; else park.
        if (canRunHere && _scheduler.CanStartNow(spec.Resources))
        {
            return false;
        }

        RemoteNode? best = null;
        var bestRoom = double.NegativeInfinity;
        foreach (var node in nodes)
        {
            var room = node.Room(spec.Resources);
            if (room >= 0 && room > bestRoom)
            {
                best = node;
                bestRoom = room;
            }
        }

        if (best is not null)
        {
            return Send(spec, best);
        }

        if (canRunHere)
        {
            return false;
        }

        RemoteNode? least = null;
        foreach (var node in nodes)
        {
            if (spec.Resources.FitsIn(node.Total) && (least is null || node.InFlightCount < least.InFlightCount))
            {
                least = node;
            }
        }

        return least is not null ? Send(spec, least) : Park(spec);
    }

    /// <summary>Where an actor of <paramref name="shape"/> should live (see <see cref="ActorPlacement.Place"/>).</summary>
    public NodeId? PlaceActor(ResourceSet shape, PlacementHint hint) => _actors.Place(shape, hint, Refresh.PlacementNodes, Refresh);

    private bool Park(TaskSpec spec)
    {
        if (_node.CanExecute && Refresh.Nodes.Length == 0)
        {
            return false;
        }

        _parked.Add(spec);
        return true;
    }

    private bool FailUnplaceable(TaskSpec spec, string message)
    {
        _attempts.FinishOwned(spec, null, RayError.Create(RayErrorKind.NodeDied, message, spec.DisplayName), string.Empty, 0);
        return true;
    }

    private bool Send(TaskSpec spec, RemoteNode node)
    {
        var args = spec.Args;
        TaskArg[] wire;
        if (args.Length == 0)
        {
            wire = args;
        }
        else
        {
            wire = new TaskArg[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (!arg.IsRef)
                {
                    wire[i] = arg;
                    continue;
                }

                if (_reader.ReadForRemote(arg, spec.DisplayName, out var value) is { } error)
                {
                    if (!_attempts.Recovery.TryRerunAfterLostArgument(spec, error))
                    {
                        _attempts.FinishOwned(spec, null, error, string.Empty, 0);
                    }

                    return true;
                }

                wire[i] = TaskArg.FromValue(value);
            }
        }

        if (!spec.SentElsewhere)
        {
            spec.SentElsewhere = true;
            _scheduler.Counts.RecordSentElsewhere();
        }

        spec.Attempt++;
        spec.State = TaskState.Running;
        spec.RemoteNode = node;
        _inFlight[spec.Id] = spec;
        node.Track(spec);
        node.Pump.Enqueue(new RemoteTask
        {
            Id = spec.Id,
            Function = spec.Function.Descriptor,
            Args = wire,
            Resources = spec.Resources,
            PreviousAttempts = spec.Attempt - 1,
            MaxRetries = spec.MaxRetries,
            RetryExceptions = spec.RetryExceptions?.RetriesAll ?? false,
            RetryExceptionTypes = spec.RetryExceptions?.TypeNames,
            Name = spec.Name,
            Namespace = spec.Namespace,
            JobDriver = spec.JobDriver,
            DriverOwned = !spec.JobDriver.IsEmpty && spec.JobDriver == _reader.Owner,
            ReturnId = spec.Result.Id,
            OtherReturnIds = MultipleReturns.Ids(spec.OtherReturns),
            Streaming = spec.Generator is not null,
            GeneratorBackpressure = spec.Generator?.Backpressure ?? 0,
            Group = spec.Group,
            EnvVars = Execution.JobScope.ForWire(spec.Job.EnvVars),
        });
        if (spec.Cancelled)
        {
            node.Cancel(spec.Id, force: true, recursive: true);
        }

        return true;
    }

    /// <summary>Makes the send pump of a node: batches of tasks to its endpoint; a send that fails because the node is
    /// unreachable re-places the batch, one that fails for its items (split down to them by the pump) fails those alone.</summary>
    public SendPump<RemoteTask> CreatePump(RemoteNode node)
    {
        Action<RemoteResult[]> returned = results => ResultsReturned?.Invoke(results);
        return new(batch => node.SendTasksAsync(_node.Endpoint!, batch, returned), (batch, ex) => SendFailed(node, batch, ex));
    }

    /// <summary>A send of <paramref name="batch"/> to <paramref name="node"/> failed (the pump split it first when some
    /// of its tasks were at fault): its tasks run elsewhere, or fail when no node could take them.</summary>
    private void SendFailed(RemoteNode node, RemoteTask[] batch, Exception ex)
    {
        var transient = SendFailures.IsTransient(ex);
        SendFailures.LogSendFailed(_logger, batch.Length, node.Id, ex, transient, node.UnreachableWarnings);
        foreach (var task in batch)
        {
            if (_inFlight.TryGetValue(task.Id, out var spec) && ReferenceEquals(spec.RemoteNode, node) && node.Untrack(spec))
            {
                if (transient)
                {
                    Replace(spec, node, $"sending it to node {node.Id} failed: {Transport.CallFailures.Describe(ex)}", delivered: !SendFailures.NeverReachedNode(ex));
                }
                else if (_inFlight.TryRemove(spec.Id, out _))
                {
                    // Not the node's fault (an argument that cannot be serialized, say): running it again elsewhere
                    // would fail the same way. The pump split the batch first, so only the tasks at fault get here.
                    spec.RemoteNode = null;
                    _attempts.FinishOwned(spec, null, WireCheck.UnsendableError(spec.DisplayName, $"node {node.Id}", ex), string.Empty, 0);
                }
            }
        }
    }

    /// <summary>Takes back a task node <paramref name="from"/> spilled back (<see cref="Spillback.TryTakeBack"/>).</summary>
    internal SpillbackAnswer TryTakeBack(TaskId id, NodeId from, out TaskSpec spec) => Spillback.TryTakeBack(_inFlight, id, from, out spec);

    /// <summary>Sends a task taken back to <paramref name="node"/> (the node its spillback suggested).</summary>
    internal bool SendTo(TaskSpec spec, RemoteNode node) => Send(spec, node);

    /// <summary>A result arrived for a task this runtime owns.</summary>
    public bool TryComplete(RemoteResult result)
    {
        if (!_inFlight.TryRemove(result.TaskId, out var spec))
        {
            return false; // a late duplicate (the task was re-run after its node was thought dead): the first result won
        }

        (spec.RemoteNode as RemoteNode)?.Untrack(spec);
        spec.RemoteNode = null;
        if (result.Error is { } error && _attempts.Recovery.TryRerunAfterLostArgument(spec, error))
        {
            return true;
        }

        var value = result.OtherReturns is { } others ? ReturnValues.FromWire(result.Value, others) : result.Value;
        _attempts.FinishOwned(spec, value, result.Error, result.Node, result.DurationTicks);
        return true;
    }

    /// <summary>A task's node died or could not be reached: run it again while retries last, else fail it with NodeDied
    /// (a send that found no connection is no attempt: <see cref="TaskSpec.TakeBackUndeliveredAttempt"/>).</summary>
    private void Replace(TaskSpec spec, RemoteNode from, string why, bool delivered = true)
    {
        if (!_inFlight.TryRemove(spec.Id, out _) || spec.ReturnsComplete)
        {
            return;
        }

        spec.RemoteNode = null;
        if (spec.Cancelled)
        {
            return;
        }

        if (!delivered && spec.TakeBackUndeliveredAttempt())
        {
            spec.State = TaskState.Waiting;
            _ = Task.Delay(TaskSpec.UndeliveredBackoff).ContinueWith(_ => _scheduler.Enqueue(spec), TaskScheduler.Default);
            return;
        }

        if (spec.Attempt > spec.MaxRetries)
        {
            _attempts.FinishOwned(spec, null, RayError.Create(RayErrorKind.NodeDied,
                $"Task {spec.DisplayName} ({spec.Id}) was on node {from.Id} (queued or running there) when that node died ({why}); it was tried {spec.Attempt} time(s) and MaxRetries is {spec.MaxRetries}.",
                spec.DisplayName), from.Id.Value, 0);
            return;
        }

        ClusterLog.RetryElsewhere(_logger, spec.DisplayName, from.Id, spec.Attempt);
        spec.State = TaskState.Waiting;
        _scheduler.Enqueue(spec);
    }

    /// <summary>Acts on a refreshed view: dead nodes' tasks move, parked tasks that now fit go, queued work spills
    /// to idle nodes.</summary>
    internal void OnRefreshed(List<RemoteNode> died)
    {
        foreach (var node in died)
        {
            Deaths.Raise(node.Id);
            var lost = node.TakeAll();
            ClusterLog.Left(_logger, node.Id, lost.Count);
            foreach (var spec in lost)
            {
                Replace(spec, node, "declared dead by cluster membership");
            }
        }

        _parked.Retry(_scheduler);
        Spillback.Rebalance(this, _scheduler, _attempts, _node, Refresh.PlacementNodes);
    }

    public void Dispose()
    {
        Refresh.Dispose();
        foreach (var spec in _inFlight.Values)
        {
            spec.RemoteNode = null;
        }
    }
}
