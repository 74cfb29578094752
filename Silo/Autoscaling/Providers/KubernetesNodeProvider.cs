using System.Globalization;

namespace OrleansRay.Silo.Autoscaling.Providers;

/// <summary>The kubernetes node provider: worker nodes are the pods of the worker Deployment (deploy/kubernetes'
/// orleansray-worker); launching N raises its replicas by N, terminating a node lowers them by one after marking that
/// pod the one to remove (pod-deletion-cost), so the ReplicaSet removes the idle node the planner chose, not another.</summary>
/// <remarks>Each pod is one node of the config's single worker type (a Deployment has one pod template: its resource
/// requests should match the type's resources). A pod that cannot start (CrashLoopBackOff, ImagePullBackOff, a
/// container config error, phase Failed) and replicas the Deployment cannot create (ReplicaFailure, e.g. a quota) are
/// listed as <see cref="ProviderNodeState.Failed"/> with Kubernetes' reason. Kubernetes retries a crashing pod with its
/// own back-off; this provider never re-launches on its own.</remarks>
internal sealed class KubernetesNodeProvider : INodeProvider
{
    /// <summary>The pod-deletion-cost given to a pod to terminate: the lowest there is, so it goes first.</summary>
    public const int TerminateCost = int.MinValue;

    /// <summary>The id prefix of a replica the Deployment has not created a pod for yet.</summary>
    public const string PendingPrefix = "pending-";

    private static readonly HashSet<string> FailedWaitingReasons = new(StringComparer.Ordinal)
    {
        "CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    };

    private readonly IKubernetesApi _api;
    private readonly KubernetesProviderConfig _config;
    private readonly string _nodeType;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A provider for <paramref name="config"/>'s worker Deployment, whose pods are nodes of
    /// <paramref name="nodeType"/>.</summary>
    public KubernetesNodeProvider(IKubernetesApi api, KubernetesProviderConfig config, string nodeType)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeType);
        _api = api;
        _config = config;
        _nodeType = nodeType;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ProviderNode>> LaunchAsync(NodeTypeConfig nodeType, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodeType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (nodeType.Name != _nodeType)
        {
            throw new ArgumentException($"The kubernetes provider launches nodes of type '{_nodeType}' (the worker Deployment's pods), not '{nodeType.Name}'.", nameof(nodeType));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deployment = await _api.ReadDeploymentAsync(_config.Namespace, _config.Deployment, cancellationToken).ConfigureAwait(false);
            await _api.ScaleDeploymentAsync(_config.Namespace, _config.Deployment, deployment.Replicas + count, cancellationToken).ConfigureAwait(false);
            return Enumerable.Range(deployment.Replicas + 1, count)
                .Select(i => new ProviderNode(PendingPrefix + i.ToString(CultureInfo.InvariantCulture), _nodeType, ProviderNodeState.Launching, null, null, null))
                .ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task TerminateAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deployment = await _api.ReadDeploymentAsync(_config.Namespace, _config.Deployment, cancellationToken).ConfigureAwait(false);
            if (deployment.Replicas == 0)
            {
                return;
            }

            if (!id.StartsWith(PendingPrefix, StringComparison.Ordinal))
            {
                var pods = await _api.ListPodsAsync(_config.Namespace, deployment.LabelSelector, cancellationToken).ConfigureAwait(false);
                if (pods.FirstOrDefault(p => p.Name == id) is not { Deleting: false } pod)
                {
                    return; // Gone already, or going: lowering the replicas now would remove another node.
                }

                await _api.SetPodDeletionCostAsync(_config.Namespace, pod.Name, TerminateCost, cancellationToken).ConfigureAwait(false);
            }

            await _api.ScaleDeploymentAsync(_config.Namespace, _config.Deployment, deployment.Replicas - 1, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ProviderNode>> ListAsync(CancellationToken cancellationToken)
    {
        var deployment = await _api.ReadDeploymentAsync(_config.Namespace, _config.Deployment, cancellationToken).ConfigureAwait(false);
        var pods = (await _api.ListPodsAsync(_config.Namespace, deployment.LabelSelector, cancellationToken).ConfigureAwait(false))
            .Where(p => !p.Deleting)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        var nodes = pods.Select(NodeOf).ToList();
        for (var i = pods.Count + 1; i <= deployment.Replicas; i++)
        {
            var id = PendingPrefix + i.ToString(CultureInfo.InvariantCulture);
            nodes.Add(deployment.ReplicaFailure is { } failure
                ? new ProviderNode(id, _nodeType, ProviderNodeState.Failed, null, $"the Deployment cannot create the pod: {failure}", null)
                : new ProviderNode(id, _nodeType, ProviderNodeState.Launching, null, null, null));
        }

        return nodes;
    }

    private ProviderNode NodeOf(PodInfo pod)
    {
        if (pod.WaitingReason is { } waiting && FailedWaitingReasons.Contains(waiting))
        {
            var detail = pod.WaitingMessage is { Length: > 0 } message ? $"{waiting}: {message}" : waiting;
            if (pod.TerminatedReason is { } last)
            {
                detail += $" (last exit: {last})";
            }

            return new ProviderNode(pod.Name, _nodeType, ProviderNodeState.Failed, pod.PodIp, detail, pod.Created);
        }

        if (pod.Phase is "Failed" or "Succeeded")
        {
            return new ProviderNode(pod.Name, _nodeType, ProviderNodeState.Failed, pod.PodIp, $"the pod stopped (phase {pod.Phase}{(pod.TerminatedReason is { } r ? ", " + r : string.Empty)})", pod.Created);
        }

        var state = pod.Phase == "Running" && pod.Ready ? ProviderNodeState.Running : ProviderNodeState.Launching;
        return new ProviderNode(pod.Name, _nodeType, state, pod.PodIp, null, pod.Created);
    }
}
