using OrleansRay.Grains;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Placement;

/// <summary>Another node as this runtime sees it: its endpoint, its resources, and the tasks this runtime sent it.</summary>
internal sealed class RemoteNode : IRemoteAttempt
{
    /// <summary>Makes the task pump of one destination node.</summary>
    public delegate SendPump<RemoteTask> PumpFactory(RemoteNode node);

    private readonly object _gate = new();
    private readonly HashSet<TaskSpec> _inFlight = new(ReferenceEqualityComparer.Instance);
    private Dictionary<string, double> _available;

    public RemoteNode(NodeId id, INodeEndpoint endpoint, ResourceSet total, ResourceSet available, PumpFactory pumpFactory)
    {
        Id = id;
        Endpoint = endpoint;
        Total = total;
        _available = available.ToDictionary();
        Pump = pumpFactory(this);
    }

    public NodeId Id { get; }

    /// <summary>Paces the warnings about sends to this node that found it unreachable (<see cref="SendFailures"/>).</summary>
    public WarningWindow UnreachableWarnings { get; } = new();

    public INodeEndpoint Endpoint { get; }

    /// <summary>This runtime's connection to the node's task channel (null: the node has none, or this runtime does not
    /// use them): tasks go there while it is connected, through <see cref="Endpoint"/> otherwise.</summary>
    public TaskChannelClient? Channel { get; init; }

    /// <summary>Sends a batch of tasks to the node: on its task channel when connected (ADR 0025), else, and when the
    /// node refuses it there, through Orleans messaging. Either way the reply carries the results that came with it
    /// (a lone task's result, Ray's PushTask reply), which go to <paramref name="resultsReturned"/>: they come no other
    /// way.</summary>
    /// <remarks>One state machine per send: this is the send pump's whole send (no lambda awaiting it).</remarks>
    /// <exception cref="TaskChannelClosedException">The channel closed before the node answered (the node may have
    /// taken the tasks): treated as a send to a node that went away.</exception>
    public async Task SendTasksAsync(INodeEndpoint replyTo, RemoteTask[] batch, Action<RemoteResult[]> resultsReturned)
    {
        RemoteResult[]? results = null;
        var sent = false;
        if (Channel?.TrySend(replyTo, batch) is { } viaChannel)
        {
            try
            {
                results = await viaChannel.ConfigureAwait(false);
                sent = true;
            }
            catch (TaskChannelRefusedException)
            {
                // Nothing ran: Orleans carries it, and reports what the node made of it in its own terms.
            }
        }

        if (!sent)
        {
            results = await Endpoint.RunTasksAsync(replyTo, batch).ConfigureAwait(false);
        }

        if (results is { Length: > 0 })
        {
            resultsReturned(results);
        }
    }

    /// <summary>Closes the task channel connection (the node died, or this runtime stops).</summary>
    public void Close() => Channel?.Dispose();

    public ResourceSet Total { get; private set; }

    public volatile bool IsAlive = true;

    /// <summary>The node's last row says it drains (<see cref="NodeStatus.IsDraining"/>): no new work goes there.</summary>
    public volatile bool IsDraining;

    public SendPump<RemoteTask> Pump { get; }

    /// <summary>Tasks sent here and not finished.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>A fresh report from the node: its total and what it has free now.</summary>
    public void Update(ResourceSet total, ResourceSet available)
    {
        lock (_gate)
        {
            Total = total;
            _available = available.ToDictionary();
        }
    }

    /// <summary>The free amount of <paramref name="shape"/>'s scarcest resource as a share of the node's total (1 = idle);
    /// negative when the shape does not fit what is free now.</summary>
    public double Room(ResourceSet shape)
    {
        lock (_gate)
        {
            if (!shape.FitsIn(_available))
            {
                return -1;
            }

            var room = 1.0;
            var names = shape.Names;
            var amounts = shape.Amounts;
            for (var i = 0; i < names.Length; i++)
            {
                var (name, amount) = (names[i], amounts[i]);
                if (amount > 0 && Total[name] is var total and > 0)
                {
                    room = Math.Min(room, (_available.GetValueOrDefault(name) - amount) / total);
                }
            }

            return room;
        }
    }

    /// <summary>Records a task sent here (its resources count as taken until the node's next report).</summary>
    public void Track(TaskSpec spec)
    {
        lock (_gate)
        {
            _inFlight.Add(spec);
            Add(spec.Resources, -1);
        }
    }

    /// <summary>Counts <paramref name="shape"/> as taken until the node's next report (an actor placed here).</summary>
    public void Charge(ResourceSet shape)
    {
        lock (_gate)
        {
            Add(shape, -1);
        }
    }

    /// <summary>A task sent here finished (or moves elsewhere).</summary>
    public bool Untrack(TaskSpec spec)
    {
        lock (_gate)
        {
            if (!_inFlight.Remove(spec))
            {
                return false;
            }

            Add(spec.Resources, 1);

            return true;
        }
    }

    /// <summary>Adds <paramref name="shape"/> times <paramref name="sign"/> to what is free (caller holds the gate;
    /// spans, not <see cref="ResourceSet.Items"/>: this runs for every task sent here).</summary>
    private void Add(ResourceSet shape, int sign)
    {
        var names = shape.Names;
        var amounts = shape.Amounts;
        for (var i = 0; i < names.Length; i++)
        {
            _available[names[i]] = _available.GetValueOrDefault(names[i]) + (sign * amounts[i]);
        }
    }

    /// <summary>Every task sent here and not finished, removed from this node (it died).</summary>
    public List<TaskSpec> TakeAll()
    {
        lock (_gate)
        {
            var all = _inFlight.ToList();
            _inFlight.Clear();
            return all;
        }
    }

    /// <summary>Asks the node to cancel a task it runs for this owner (best effort: the owner has already failed it).</summary>
    public void Cancel(TaskId taskId, bool force, bool recursive)
    {
        _ = CancelAsync(taskId, force, recursive);
    }

    private async Task CancelAsync(TaskId taskId, bool force, bool recursive)
    {
        try
        {
            await Endpoint.CancelTaskAsync(taskId, force, recursive).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The node is gone or going: nothing left to cancel there.
        }
    }

    public override string ToString() => Id.Value;
}
