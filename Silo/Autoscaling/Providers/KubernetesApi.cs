using System.Globalization;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace OrleansRay.Silo.Autoscaling.Providers;

/// <summary><see cref="IKubernetesApi"/> through KubernetesClient: the in-cluster service account when the head runs in a
/// pod (it needs get/patch on deployments and deployments/scale, list/patch on pods in the namespace), else a kubeconfig.</summary>
internal sealed class KubernetesApi : IKubernetesApi, IDisposable
{
    private readonly Kubernetes _client;

    private KubernetesApi(Kubernetes client) => _client = client;

    /// <summary>A client for <paramref name="config"/>: its kubeconfig and context, or in-cluster, or the default kubeconfig.</summary>
    public static KubernetesApi Create(KubernetesProviderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settings = config.Kubeconfig is not null || config.Context is not null
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(config.Kubeconfig, config.Context)
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildDefaultConfig();
        return new KubernetesApi(new Kubernetes(settings));
    }

    /// <inheritdoc/>
    public async Task<DeploymentInfo> ReadDeploymentAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var deployment = await _client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        var labels = deployment.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>();
        var selector = string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        var failure = deployment.Status?.Conditions?.FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True");
        return new DeploymentInfo(deployment.Spec.Replicas ?? 1, selector, failure is null ? null : failure.Message ?? failure.Reason ?? "ReplicaFailure");
    }

    /// <inheritdoc/>
    public Task ScaleDeploymentAsync(string @namespace, string name, int replicas, CancellationToken cancellationToken)
    {
        var patch = new V1Patch(JsonSerializer.Serialize(new { spec = new { replicas } }), V1Patch.PatchType.MergePatch);
        return _client.AppsV1.PatchNamespacedDeploymentScaleAsync(patch, name, @namespace, cancellationToken: cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<PodInfo>> ListPodsAsync(string @namespace, string labelSelector, CancellationToken cancellationToken)
    {
        var pods = await _client.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: labelSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        return pods.Items.Select(p =>
        {
            var container = p.Status?.ContainerStatuses?.FirstOrDefault();
            var terminated = container?.State?.Terminated ?? container?.LastState?.Terminated;
            return new PodInfo(
                p.Metadata.Name,
                p.Status?.Phase ?? "Unknown",
                p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
                p.Metadata.DeletionTimestamp is not null,
                p.Status?.PodIP,
                container?.State?.Waiting?.Reason,
                container?.State?.Waiting?.Message,
                terminated is null ? null : string.Create(CultureInfo.InvariantCulture, $"{terminated.Reason ?? "terminated"}, exit code {terminated.ExitCode}"),
                p.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null);
        }).ToList();
    }

    /// <inheritdoc/>
    public Task SetPodDeletionCostAsync(string @namespace, string pod, int cost, CancellationToken cancellationToken)
    {
        var annotations = new Dictionary<string, string> { ["controller.kubernetes.io/pod-deletion-cost"] = cost.ToString(CultureInfo.InvariantCulture) };
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { annotations } }), V1Patch.PatchType.MergePatch);
        return _client.CoreV1.PatchNamespacedPodAsync(patch, pod, @namespace, cancellationToken: cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
