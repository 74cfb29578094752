using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Autoscaling.Providers;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>The kubernetes provider's decisions against a fake Kubernetes API: the replica counts it sets, the pod it
/// marks for removal, and the failures it reports.</summary>
public sealed class KubernetesNodeProviderTests
{
    private static readonly KubernetesProviderConfig Config = new("orleansray", "orleansray-worker", null, null);
    private static readonly NodeTypeConfig WorkerType = new("worker", ResourceSet.From([new("CPU", 2)]), 0, 4, []);

    private static PodInfo Pod(string name, string phase = "Running", bool ready = true, bool deleting = false, string? waiting = null, string? message = null, string? terminated = null) =>
        new(name, phase, ready, deleting, "10.0.0." + name[^1], waiting, message, terminated, null);

    [Fact]
    public async Task Launching_raises_the_Deployments_replicas_by_the_count_and_returns_launching_nodes()
    {
        var api = new FakeKubernetesApi(replicas: 1, Pod("w-1"));
        var provider = new KubernetesNodeProvider(api, Config, "worker");

        var launched = await provider.LaunchAsync(WorkerType, 2, CancellationToken.None);

        Assert.Equal(["scale orleansray/orleansray-worker 3"], api.Calls);
        Assert.Equal(2, launched.Count);
        Assert.All(launched, n => Assert.Equal((ProviderNodeState.Launching, "worker"), (n.State, n.NodeType)));
    }

    [Fact]
    public async Task Launching_another_type_or_a_non_positive_count_is_refused()
    {
        var provider = new KubernetesNodeProvider(new FakeKubernetesApi(replicas: 0), Config, "worker");

        await Assert.ThrowsAsync<ArgumentException>(() => provider.LaunchAsync(WorkerType with { Name = "gpu" }, 1, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => provider.LaunchAsync(WorkerType, 0, CancellationToken.None));
    }

    [Fact]
    public async Task Terminating_a_pod_marks_it_the_cheapest_to_delete_before_lowering_the_replicas_by_one()
    {
        var api = new FakeKubernetesApi(replicas: 3, Pod("w-1"), Pod("w-2"), Pod("w-3"));
        var provider = new KubernetesNodeProvider(api, Config, "worker");

        await provider.TerminateAsync("w-2", CancellationToken.None);

        Assert.Equal([$"deletion-cost orleansray/w-2 {int.MinValue}", "scale orleansray/orleansray-worker 2"], api.Calls);
    }

    [Fact]
    public async Task Terminating_a_pod_that_is_gone_or_already_going_changes_nothing()
    {
        var api = new FakeKubernetesApi(replicas: 2, Pod("w-1"), Pod("w-2", deleting: true));
        var provider = new KubernetesNodeProvider(api, Config, "worker");

        await provider.TerminateAsync("w-2", CancellationToken.None);
        await provider.TerminateAsync("w-9", CancellationToken.None);

        Assert.Empty(api.Calls);
    }

    [Fact]
    public async Task Terminating_a_replica_without_a_pod_lowers_the_replicas()
    {
        var api = new FakeKubernetesApi(replicas: 2, Pod("w-1"));
        var provider = new KubernetesNodeProvider(api, Config, "worker");

        await provider.TerminateAsync(KubernetesNodeProvider.PendingPrefix + "2", CancellationToken.None);

        Assert.Equal(["scale orleansray/orleansray-worker 1"], api.Calls);
    }

    [Fact]
    public async Task Listing_reports_running_launching_and_failed_pods_with_Kubernetes_reason()
    {
        var api = new FakeKubernetesApi(
            replicas: 5,
            Pod("w-1"),
            Pod("w-2", phase: "Pending", ready: false),
            Pod("w-3", ready: false, waiting: "CrashLoopBackOff", message: "back-off 40s restarting failed container", terminated: "Error, exit code 1"),
            Pod("w-4", deleting: true));
        var provider = new KubernetesNodeProvider(api, Config, "worker");

        var nodes = await provider.ListAsync(CancellationToken.None);

        Assert.Equal(
            [("w-1", ProviderNodeState.Running), ("w-2", ProviderNodeState.Launching), ("w-3", ProviderNodeState.Failed), ("pending-4", ProviderNodeState.Launching), ("pending-5", ProviderNodeState.Launching)],
            nodes.Select(n => (n.Id, n.State)));
        Assert.Equal("10.0.0.1", nodes[0].NodeAddress);
        Assert.Equal("CrashLoopBackOff: back-off 40s restarting failed container (last exit: Error, exit code 1)", nodes[2].FailureReason);
    }

    [Fact]
    public async Task Replicas_the_Deployment_cannot_create_are_reported_failed_with_its_condition()
    {
        var api = new FakeKubernetesApi(replicas: 2, Pod("w-1")) { ReplicaFailure = "pods \"w-2\" is forbidden: exceeded quota" };
        var provider = new KubernetesNodeProvider(api, Config, "worker");

        var nodes = await provider.ListAsync(CancellationToken.None);

        var failed = Assert.Single(nodes, n => n.State == ProviderNodeState.Failed);
        Assert.Contains("exceeded quota", failed.FailureReason, StringComparison.Ordinal);
    }

    private sealed class FakeKubernetesApi(int replicas, params PodInfo[] pods) : IKubernetesApi
    {
        public List<string> Calls { get; } = [];

        public string? ReplicaFailure { get; init; }

        public Task<DeploymentInfo> ReadDeploymentAsync(string @namespace, string name, CancellationToken cancellationToken) =>
            Task.FromResult(new DeploymentInfo(replicas, "app.kubernetes.io/component=worker", ReplicaFailure));

        public Task ScaleDeploymentAsync(string @namespace, string name, int count, CancellationToken cancellationToken)
        {
            Calls.Add($"scale {@namespace}/{name} {count}");
            replicas = count;
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<PodInfo>> ListPodsAsync(string @namespace, string labelSelector, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<PodInfo>>(pods);

        public Task SetPodDeletionCostAsync(string @namespace, string pod, int cost, CancellationToken cancellationToken)
        {
            Calls.Add($"deletion-cost {@namespace}/{pod} {cost}");
            return Task.CompletedTask;
        }
    }
}
