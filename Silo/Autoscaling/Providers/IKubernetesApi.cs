namespace OrleansRay.Silo.Autoscaling.Providers;

/// <summary>The worker Deployment as the kubernetes provider reads it.</summary>
/// <param name="Replicas">spec.replicas.</param>
/// <param name="LabelSelector">spec.selector.matchLabels as a label selector ("k=v,k2=v2").</param>
/// <param name="ReplicaFailure">The message of a true ReplicaFailure condition (e.g. a quota forbids more pods); null when none.</param>
internal sealed record DeploymentInfo(int Replicas, string LabelSelector, string? ReplicaFailure);

/// <summary>A worker pod as the kubernetes provider reads it.</summary>
/// <param name="Name">metadata.name.</param>
/// <param name="Phase">status.phase: Pending, Running, Succeeded, Failed, Unknown.</param>
/// <param name="Ready">Its Ready condition is true.</param>
/// <param name="Deleting">metadata.deletionTimestamp is set: it is going away.</param>
/// <param name="PodIp">status.podIP (null until assigned).</param>
/// <param name="WaitingReason">The worker container's state.waiting reason and message (CrashLoopBackOff, ImagePullBackOff...), or null.</param>
/// <param name="WaitingMessage">The waiting state's message, or null.</param>
/// <param name="TerminatedReason">The worker container's last termination: reason and exit code, or null.</param>
/// <param name="Created">metadata.creationTimestamp.</param>
internal sealed record PodInfo(string Name, string Phase, bool Ready, bool Deleting, string? PodIp, string? WaitingReason, string? WaitingMessage, string? TerminatedReason, DateTimeOffset? Created);

/// <summary>The Kubernetes API calls the kubernetes provider makes: small, so its decisions are tested with a fake
/// (<see cref="KubernetesApi"/> makes them with KubernetesClient).</summary>
internal interface IKubernetesApi
{
    /// <summary>Reads Deployment <paramref name="name"/>.</summary>
    Task<DeploymentInfo> ReadDeploymentAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Sets the Deployment's spec.replicas (its scale subresource).</summary>
    Task ScaleDeploymentAsync(string @namespace, string name, int replicas, CancellationToken cancellationToken);

    /// <summary>The pods that match <paramref name="labelSelector"/>.</summary>
    Task<IReadOnlyList<PodInfo>> ListPodsAsync(string @namespace, string labelSelector, CancellationToken cancellationToken);

    /// <summary>Sets the pod's <c>controller.kubernetes.io/pod-deletion-cost</c> annotation: when the Deployment is scaled
    /// down, its ReplicaSet removes the pods of lowest cost first.</summary>
    Task SetPodDeletionCostAsync(string @namespace, string pod, int cost, CancellationToken cancellationToken);
}
