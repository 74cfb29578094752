using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;
using OrleansRay.Silo.Autoscaling.Providers;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>One autoscaler round after another (Ray's <c>StandardAutoscaler.update</c>): read the head's state and the
/// provider's nodes, build the planner's input (<see cref="HeadStateAdapter"/>), plan (<see cref="AutoscalerPlanner"/>),
/// launch and remove nodes, log every decision with its reason, and report the round for <c>status</c>.</summary>
/// <remarks>
/// <para>Only changes are logged: launches, removals, failures, and the infeasible/waiting demands when they differ from
/// the last round's. A node is removed only after the node table is read again just before: still alive, all its
/// resources free, no demand, no running task, actor or primary object (the planner checked the same a moment ago).</para>
/// <para>A node that failed to start keeps its launch slot for <see cref="FailureBackoff"/> (the adapter counts it as
/// launching), so a node type whose workers cannot start is tried again at most once per back-off, not in a tight
/// loop; then the round forgets it at the provider (<see cref="INodeProvider.TerminateAsync"/>) and the planner may
/// launch again. A node that had joined and then died (<see cref="ProviderNode.FailedAfterJoining"/>) is forgotten at
/// once, so the same round may replace it (Ray's autoscaler replaces a dead node in its next update). Failures stay in <see cref="AutoscalerStatus.RecentFailures"/> (the last <see cref="MaxFailures"/>).</para>
/// <para>While <c>stopping</c> says so (<c>orleansray down</c> is stopping the cluster) the round plans and reports but
/// launches and removes nothing.</para>
/// </remarks>
internal sealed partial class Autoscaler
{
    /// <summary>How long a failed node holds its launch slot before its type may be launched again.</summary>
    public static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Decisions kept for <see cref="AutoscalerStatus.RecentDecisions"/>.</summary>
    public const int MaxDecisions = 20;

    /// <summary>Failures kept for <see cref="AutoscalerStatus.RecentFailures"/>.</summary>
    public const int MaxFailures = 10;

    private readonly ClusterConfig _config;
    private readonly INodeProvider _provider;
    private readonly IHeadState _head;
    private readonly string _headNodeId;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<bool> _stopping;
    private readonly IdleTracker _idle = new();
    private readonly LinkedList<string> _decisions = new();
    private readonly Dictionary<string, AutoscalerNodeInfo> _failures = new(StringComparer.Ordinal);
    private string[] _lastInfeasible = [];
    private string[] _lastWaiting = [];

    /// <summary>An autoscaler for <paramref name="config"/>'s cluster whose head is node <paramref name="headNodeId"/>.</summary>
    /// <param name="config">The cluster config.</param>
    /// <param name="provider">Where worker nodes come from.</param>
    /// <param name="head">Where the cluster's state is read and the rounds reported.</param>
    /// <param name="headNodeId">The head's node id (never removed).</param>
    /// <param name="logger">Where decisions are logged (the head's log).</param>
    /// <param name="time">The clock.</param>
    /// <param name="stopping">True while the cluster is being stopped: nothing is launched or removed.</param>
    public Autoscaler(ClusterConfig config, INodeProvider provider, IHeadState head, string headNodeId, ILogger logger, TimeProvider time, Func<bool>? stopping = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        _config = config;
        _provider = provider;
        _head = head;
        _headNodeId = headNodeId;
        _logger = logger;
        _time = time;
        _stopping = stopping ?? (() => false);
    }

    /// <summary>The last plan (null before the first round).</summary>
    public AutoscalerPlan? LastPlan { get; private set; }

    /// <summary>Runs one round; returns what it reported.</summary>
    public async Task<AutoscalerStatus> RunRoundAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var state = await _head.ReadAsync(cancellationToken).ConfigureAwait(false);
        var providerNodes = await _provider.ListAsync(cancellationToken).ConfigureAwait(false);
        NoteFailures(providerNodes, now);
        var input = HeadStateAdapter.ToPlannerInput(_config, state.Nodes, state.DriverDemands, providerNodes, state.PendingGroups, state.Requested, _headNodeId, _idle, FailureBackoff, now);
        var plan = AutoscalerPlanner.Plan(input);
        LastPlan = plan;
        if (!_stopping())
        {
            await LaunchAsync(plan, cancellationToken).ConfigureAwait(false);
            await TerminateAsync(plan, state.Nodes, providerNodes, cancellationToken).ConfigureAwait(false);
            await ForgetFailuresAsync(providerNodes, now, cancellationToken).ConfigureAwait(false);
        }

        NoteUnserved(plan);
        var status = await StatusAsync(state.Nodes, now, cancellationToken).ConfigureAwait(false);
        await _head.ReportAsync(status, cancellationToken).ConfigureAwait(false);
        return status;
    }

    private async Task LaunchAsync(AutoscalerPlan plan, CancellationToken cancellationToken)
    {
        foreach (var launch in plan.Launches)
        {
            try
            {
                var nodes = await _provider.LaunchAsync(_config.NodeTypes[launch.NodeType], launch.Count, cancellationToken).ConfigureAwait(false);
                var ids = string.Join(", ", nodes.Select(n => n.Id));
                LogLaunch(launch.Count, launch.NodeType, ids, launch.Reason);
                Decide(string.Create(CultureInfo.InvariantCulture, $"launch {launch.Count} x '{launch.NodeType}' ({ids}): {launch.Reason}"));
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
            {
                LogLaunchFailed(ex, launch.Count, launch.NodeType, ex.Message);
                Decide($"launch of {launch.Count.ToString(CultureInfo.InvariantCulture)} x '{launch.NodeType}' failed: {ex.Message}");
            }
        }
    }

    private async Task TerminateAsync(AutoscalerPlan plan, IReadOnlyList<NodeStatus> rows, IReadOnlyList<ProviderNode> providerNodes, CancellationToken cancellationToken)
    {
        if (plan.Terminations.Count == 0)
        {
            return;
        }

        // The planner decided from rows up to a round old: read them again, so a node that got work since stays.
        var fresh = await _head.ReadNodesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var terminate in plan.Terminations)
        {
            var row = rows.FirstOrDefault(r => r.NodeId.Value == terminate.NodeId);
            var node = row is null ? null : providerNodes.FirstOrDefault(p => p.State != ProviderNodeState.Failed && HeadStateAdapter.Matches(p, row));
            if (node is null)
            {
                continue; // Not a node of this provider (any more).
            }

            var now = fresh.FirstOrDefault(r => r.NodeId.Value == terminate.NodeId);
            if (now is not { IsAlive: true })
            {
                continue; // Gone on its own: the provider reports it next round.
            }

            if (BusyReason(now) is { } busy)
            {
                LogKept(terminate.NodeId, busy);
                continue;
            }

            // Ray's DrainNode: the node itself checks, atomically with taking work, that it is idle, and stops getting new
            // work; a node that got work since its row was read refuses and stays.
            if (await _head.DrainAsync(now, cancellationToken).ConfigureAwait(false) is { } refused)
            {
                LogKept(terminate.NodeId, $"it refused to drain: {refused}");
                Decide($"kept {terminate.NodeId}: it refused to drain ({refused})");
                continue;
            }

            try
            {
                await _provider.TerminateAsync(node.Id, cancellationToken).ConfigureAwait(false);
                LogTerminate(terminate.NodeId, node.Id, terminate.NodeType, terminate.Reason);
                Decide($"remove {terminate.NodeId} ('{terminate.NodeType}', {node.Id}): {terminate.Reason}");
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
            {
                LogTerminateFailed(ex, terminate.NodeId, ex.Message);
            }
        }
    }

    /// <summary>Why node table row <paramref name="row"/> must not be removed now; null when it is idle.</summary>
    internal static string? BusyReason(NodeStatus row)
    {
        var reasons = new List<string>();
        if (row.RunningTaskCount > 0)
        {
            reasons.Add($"{row.RunningTaskCount.ToString(CultureInfo.InvariantCulture)} running task(s)");
        }

        if (row.ActorCount > 0)
        {
            reasons.Add($"{row.ActorCount.ToString(CultureInfo.InvariantCulture)} actor(s)");
        }

        if (row.PrimaryObjectCount > 0)
        {
            reasons.Add($"{row.PrimaryObjectCount.ToString(CultureInfo.InvariantCulture)} primary object copy(ies)");
        }

        if (row.OwnedObjectCount > 0)
        {
            reasons.Add($"{row.OwnedObjectCount.ToString(CultureInfo.InvariantCulture)} owned object(s)");
        }

        if (row.WaitingTaskCount > 0)
        {
            reasons.Add($"{row.WaitingTaskCount.ToString(CultureInfo.InvariantCulture)} task(s) waiting for arguments");
        }

        if (!row.Available.Equals(row.Total))
        {
            reasons.Add($"resources in use ({row.Available} of {row.Total} free)");
        }

        if (row.Demands.Count > 0)
        {
            reasons.Add("pending demands");
        }

        return reasons.Count == 0 ? null : string.Join(", ", reasons);
    }

    /// <summary>Records failures seen for the first time (logged once) and keeps the newest <see cref="MaxFailures"/>.</summary>
    private void NoteFailures(IReadOnlyList<ProviderNode> nodes, DateTimeOffset now)
    {
        foreach (var node in nodes.Where(n => n.State == ProviderNodeState.Failed && !_failures.ContainsKey(n.Id)))
        {
            var reason = node.FailureReason ?? "failed (no reason given by the provider)";
            _failures[node.Id] = new AutoscalerNodeInfo(node.Id, node.NodeType, node.ShownAddress, node.Since ?? now, reason);
            if (node.FailedAfterJoining)
            {
                LogJoinedNodeFailed(node.Id, node.NodeType, reason);
            }
            else
            {
                LogNodeFailed(node.Id, node.NodeType, reason, (int)FailureBackoff.TotalSeconds);
            }
        }

        foreach (var old in _failures.Values.OrderByDescending(f => f.Since).Skip(MaxFailures).ToList())
        {
            _failures.Remove(old.ProviderId);
        }
    }

    /// <summary>Failed nodes whose back-off is over are terminated at the provider (a crashing pod's replica is given
    /// back; a local process is gone already and is forgotten): the planner may launch their type again.</summary>
    private async Task ForgetFailuresAsync(IReadOnlyList<ProviderNode> nodes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var node in nodes.Where(n => n.State == ProviderNodeState.Failed))
        {
            var since = _failures.TryGetValue(node.Id, out var seen) ? seen.Since : node.Since ?? now;
            if (node.FailedAfterJoining || now - since >= FailureBackoff)
            {
                await _provider.TerminateAsync(node.Id, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void NoteUnserved(AutoscalerPlan plan)
    {
        var infeasible = plan.Infeasible.Select(d => $"{d.Demand}: {d.Reason}").ToArray();
        var waiting = plan.Waiting.Select(d => $"{d.Demand}: {d.Reason}").ToArray();
        if (!infeasible.SequenceEqual(_lastInfeasible, StringComparer.Ordinal))
        {
            foreach (var line in infeasible.Except(_lastInfeasible, StringComparer.Ordinal))
            {
                LogInfeasible(line);
            }

            _lastInfeasible = infeasible;
        }

        if (!waiting.SequenceEqual(_lastWaiting, StringComparer.Ordinal))
        {
            foreach (var line in waiting.Except(_lastWaiting, StringComparer.Ordinal))
            {
                LogWaiting(line);
            }

            _lastWaiting = waiting;
        }
    }

    private async Task<AutoscalerStatus> StatusAsync(IReadOnlyList<NodeStatus> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var live = rows.Where(r => r.IsAlive).ToList();
        var nodes = await _provider.ListAsync(cancellationToken).ConfigureAwait(false);
        var pending = nodes
            .Where(n => n.State != ProviderNodeState.Failed && !live.Any(r => HeadStateAdapter.Matches(n, r)))
            .Select(n => new AutoscalerNodeInfo(n.Id, n.NodeType, n.ShownAddress, n.Since ?? now, null))
            .ToList();
        return new AutoscalerStatus(now, _config.ClusterName, pending, _failures.Values.OrderByDescending(f => f.Since).ToList(), [.. _decisions])
        {
            Infeasible = _lastInfeasible,
            Waiting = _lastWaiting,
        };
    }

    private void Decide(string decision)
    {
        _decisions.AddFirst(string.Create(CultureInfo.InvariantCulture, $"{_time.GetUtcNow():HH:mm:ss} {decision}"));
        while (_decisions.Count > MaxDecisions)
        {
            _decisions.RemoveLast();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler: launching {Count} node(s) of type '{NodeType}' ({Ids}): {Reason}")]
    private partial void LogLaunch(int count, string nodeType, string ids, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Autoscaler: could not launch {Count} node(s) of type '{NodeType}': {Error}")]
    private partial void LogLaunchFailed(Exception ex, int count, string nodeType, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler: removing node {NodeId} ({ProviderId}, type '{NodeType}'): {Reason}")]
    private partial void LogTerminate(string nodeId, string providerId, string nodeType, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Autoscaler: could not remove node {NodeId}: {Error}")]
    private partial void LogTerminateFailed(Exception ex, string nodeId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler: keeping node {NodeId}, busy again since the plan: {Busy}")]
    private partial void LogKept(string nodeId, string busy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Autoscaler: node {ProviderId} of type '{NodeType}' failed: {Reason}. Its type is not launched again for {BackoffSeconds} s.")]
    private partial void LogNodeFailed(string providerId, string nodeType, string reason, int backoffSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Autoscaler: node {ProviderId} of type '{NodeType}' died after joining the cluster: {Reason}. It is replaced if the demand still needs it.")]
    private partial void LogJoinedNodeFailed(string providerId, string nodeType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Autoscaler: infeasible, nothing is launched for it: {Demand}")]
    private partial void LogInfeasible(string demand);

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler: waiting: {Demand}")]
    private partial void LogWaiting(string demand);
}
