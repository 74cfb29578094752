using System.Text.Json;

namespace OrleansRay.Deploy.Tests;

/// <summary>deploy/kubernetes renders with kustomize, every object passes the Kubernetes schema (kubernetes-models,
/// offline), and the pods run nodes the way the CLI contract says (downward API, secrets, probes, shutdown).</summary>
public sealed class KubernetesManifestTests
{
    [Fact]
    public async Task Kustomize_renders_the_base_with_postgres_a_head_workers_and_generated_secrets()
    {
        var objects = await Manifests.ObjectsAsync();
        var names = objects.Select(o => $"{o.GetProperty("kind").GetString()}/{Name(o)}").ToList();

        Assert.Contains("Namespace/orleansray", names);
        Assert.Contains("Deployment/orleansray-head", names);
        Assert.Contains("Deployment/orleansray-worker", names);
        Assert.Contains("StatefulSet/orleansray-postgres", names);
        Assert.Contains("Service/orleansray-head", names);
        Assert.Contains("Service/orleansray-postgres", names);
        // The autoscaler's account, Role and token are opt-in (deploy/kubernetes/autoscaling): not in the base.
        Assert.DoesNotContain(objects, o => o.GetProperty("kind").GetString() is "ServiceAccount" or "Role" or "RoleBinding" or "ClusterRole" or "ClusterRoleBinding");
        // Generated: a content hash follows the name, and every reference to it is rewritten.
        foreach (var secret in new[] { "orleansray-auth-", "orleansray-storage-", "orleansray-postgres-" })
        {
            Assert.Single(objects, o => o.GetProperty("kind").GetString() == "Secret" && Name(o).StartsWith(secret, StringComparison.Ordinal));
        }

        Assert.All(objects.Where(o => o.GetProperty("kind").GetString() != "Namespace"), o => Assert.Equal("orleansray", o.GetProperty("metadata").GetProperty("namespace").GetString()));
        var postgres = objects.Single(o => Name(o) == "orleansray-postgres" && o.GetProperty("kind").GetString() == "StatefulSet");
        Assert.Equal("postgres:15", Containers(postgres).Single().GetProperty("image").GetString());
        Assert.Equal("ReadWriteOnce", postgres.GetProperty("spec").GetProperty("volumeClaimTemplates")[0].GetProperty("spec").GetProperty("accessModes")[0].GetString());
    }

    [Fact]
    public async Task Without_the_secret_files_kustomize_refuses_and_names_the_missing_file()
    {
        // The repository carries no token: a fresh clone must create the files (docs/deploy.md) before it can apply.
        var copy = Manifests.CopyBase(withSecrets: false);
        try
        {
            var result = await DeployCheck.KubectlKustomizeAsync(copy);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("secrets/", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Theory]
    [InlineData(false, 9)]
    [InlineData(true, 13)]
    public async Task Every_rendered_object_passes_the_kubernetes_schema(bool withAutoscaling, int count)
    {
        var yaml = DeployCheck.TempFile(await Manifests.YamlAsync(withAutoscaling), ".yaml");
        try
        {
            var result = await DeployCheck.NodeAsync("validate-manifests.js", yaml);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains($"ok: {count} objects", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(yaml);
        }
    }

    [Theory]
    [InlineData("replicas: \"x\"", "image: busybox", "Deployment/broken: /spec/replicas: must be integer")]
    [InlineData("replicas: 1", "image: busybox\n          args: [\"$(NOT_DEFINED)\"]", "args uses $(NOT_DEFINED)")]
    [InlineData("replicas: 1", "image: busybox\n          env:\n            - name: T\n              valueFrom:\n                secretKeyRef: {name: missing, key: token}", "reads Secret missing")]
    public async Task The_same_check_rejects_a_broken_object(string replicas, string container, string expected)
    {
        var broken = $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: broken
            spec:
              {{replicas}}
              selector:
                matchLabels: {app: broken}
              template:
                metadata:
                  labels: {app: broken}
                spec:
                  containers:
                    - name: main
                      {{container}}
            """;
        var yaml = DeployCheck.TempFile(broken, ".yaml");
        try
        {
            var result = await DeployCheck.NodeAsync("validate-manifests.js", yaml);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(yaml);
        }
    }

    [Fact]
    public async Task A_container_without_a_name_and_an_unknown_kind_are_rejected()
    {
        var yaml = DeployCheck.TempFile("""
            apiVersion: v1
            kind: Pod
            metadata: {name: nameless}
            spec:
              containers:
                - image: busybox
            ---
            apiVersion: v1
            kind: Deploymnet
            metadata: {name: typo}
            """, ".yaml");
        try
        {
            var result = await DeployCheck.NodeAsync("validate-manifests.js", yaml);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("Pod/nameless: /spec/containers/0: must have required property name", result.Error, StringComparison.Ordinal);
            Assert.Contains("Deploymnet/typo: unknown apiVersion/kind v1/Deploymnet", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(yaml);
        }
    }

    [Fact]
    public async Task Workers_offer_their_cpu_request_and_pod_ip_and_read_token_and_storage_from_secrets()
    {
        var worker = Workload(await Manifests.ObjectsAsync(), "Deployment", "orleansray-worker");
        var container = Containers(worker).Single();
        var args = Args(container);

        Assert.Equal("start", args[0]);
        Assert.Equal("orleansray-head:30000", After(args, "--address"));
        Assert.Contains("--block", args);
        Assert.Equal("$(NUM_CPUS)", After(args, "--num-cpus"));
        Assert.Equal("$(POD_IP)", After(args, "--node-ip-address"));

        var env = Env(container);
        var cpus = env["NUM_CPUS"].GetProperty("valueFrom").GetProperty("resourceFieldRef");
        Assert.Equal("requests.cpu", cpus.GetProperty("resource").GetString());
        Assert.Equal("1", cpus.GetProperty("divisor").ToString());
        Assert.Equal("status.podIP", env["POD_IP"].GetProperty("valueFrom").GetProperty("fieldRef").GetProperty("fieldPath").GetString());
        Assert.True(container.GetProperty("resources").GetProperty("requests").TryGetProperty("cpu", out _), "the worker has no CPU request to offer");
        AssertFromSecrets(env);
    }

    [Fact]
    public async Task Head_and_workers_probe_healthz_stop_gracefully_keep_dev_shm_in_memory_and_run_as_non_root()
    {
        var objects = await Manifests.ObjectsAsync();
        var head = Workload(objects, "Deployment", "orleansray-head");
        var worker = Workload(objects, "Deployment", "orleansray-worker");
        Assert.Equal(1, head.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("Recreate", head.GetProperty("spec").GetProperty("strategy").GetProperty("type").GetString());

        // The head answers /healthz on its dashboard port (bound to 0.0.0.0 in a pod), a worker on --health-port.
        var headContainer = Containers(head).Single();
        var headArgs = Args(headContainer);
        Assert.Contains("--head", headArgs);
        Assert.Equal("0.0.0.0", After(headArgs, "--dashboard-host"));
        AssertProbesOn(headContainer, int.Parse(After(headArgs, "--dashboard-port"), System.Globalization.CultureInfo.InvariantCulture));
        AssertFromSecrets(Env(headContainer));
        var workerContainer = Containers(worker).Single();
        AssertProbesOn(workerContainer, int.Parse(After(Args(workerContainer), "--health-port"), System.Globalization.CultureInfo.InvariantCulture));

        var headService = objects.Single(o => o.GetProperty("kind").GetString() == "Service" && Name(o) == "orleansray-head");
        var servicePorts = headService.GetProperty("spec").GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetInt32()).ToList();
        Assert.Equal([30000, 8265], servicePorts);

        foreach (var workload in new[] { head, worker })
        {
            var spec = workload.GetProperty("spec").GetProperty("template").GetProperty("spec");
            Assert.True(spec.GetProperty("terminationGracePeriodSeconds").GetInt32() >= 30, "the node's own shutdown takes up to 20 s");
            Assert.True(spec.GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean());
            Assert.NotEqual(0, spec.GetProperty("securityContext").GetProperty("runAsUser").GetInt32());
            var shmVolume = Containers(workload).Single().GetProperty("volumeMounts").EnumerateArray().Single(m => m.GetProperty("mountPath").GetString() == "/dev/shm").GetProperty("name").GetString();
            var volume = spec.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == shmVolume);
            Assert.Equal("Memory", volume.GetProperty("emptyDir").GetProperty("medium").GetString());
        }
    }

    [Fact]
    public async Task By_default_no_pod_mounts_a_service_account_token_not_even_the_head_that_runs_user_tasks()
    {
        var objects = await Manifests.ObjectsAsync();
        foreach (var name in new[] { "orleansray-head", "orleansray-worker" })
        {
            var spec = Workload(objects, "Deployment", name).GetProperty("spec").GetProperty("template").GetProperty("spec");
            Assert.False(spec.TryGetProperty("serviceAccountName", out _), name);
            Assert.False(spec.GetProperty("automountServiceAccountToken").GetBoolean(), name);
        }

        Assert.DoesNotContain("--autoscaling-config", Args(Containers(Workload(objects, "Deployment", "orleansray-head")).Single()));
    }

    [Fact]
    public async Task With_the_autoscaling_component_the_head_runs_the_autoscaler_as_an_account_that_may_only_do_what_KubernetesApi_calls()
    {
        var objects = await Manifests.ObjectsAsync(withAutoscaling: true);
        var head = Workload(objects, "Deployment", "orleansray-head");
        var worker = Workload(objects, "Deployment", "orleansray-worker");
        var headSpec = head.GetProperty("spec").GetProperty("template").GetProperty("spec");
        var workerSpec = worker.GetProperty("spec").GetProperty("template").GetProperty("spec");

        // The head mounts the token of its own account (the autoscaler's in-cluster credentials); workers mount none.
        Assert.Equal("orleansray-head", headSpec.GetProperty("serviceAccountName").GetString());
        Assert.True(headSpec.GetProperty("automountServiceAccountToken").GetBoolean());
        Assert.False(workerSpec.TryGetProperty("serviceAccountName", out _));
        Assert.False(workerSpec.GetProperty("automountServiceAccountToken").GetBoolean());
        Workload(objects, "ServiceAccount", "orleansray-head");

        // The head runs the autoscaler with the cluster config from the ConfigMap, and offers no CPUs (user tasks,
        // which could read the token, run on workers).
        var container = Containers(head).Single();
        var args = Args(container);
        Assert.Equal("0", After(args, "--num-cpus"));
        var configPath = After(args, "--autoscaling-config");
        var mount = container.GetProperty("volumeMounts").EnumerateArray().Single(m => configPath.StartsWith(m.GetProperty("mountPath").GetString() + "/", StringComparison.Ordinal));
        var volume = headSpec.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == mount.GetProperty("name").GetString());
        var configMapName = volume.GetProperty("configMap").GetProperty("name").GetString()!;
        var configMap = Workload(objects, "ConfigMap", configMapName);
        var clusterConfig = configMap.GetProperty("data").GetProperty(Path.GetFileName(configPath)).GetString()!;
        Assert.Contains("type: kubernetes", clusterConfig, StringComparison.Ordinal);
        Assert.Contains("deployment: orleansray-worker", clusterConfig, StringComparison.Ordinal);

        var binding = Workload(objects, "RoleBinding", "orleansray-autoscaler");
        var roleRef = binding.GetProperty("roleRef");
        Assert.Equal(("Role", "orleansray-autoscaler"), (roleRef.GetProperty("kind").GetString(), roleRef.GetProperty("name").GetString()));
        var subject = Assert.Single(binding.GetProperty("subjects").EnumerateArray().ToList());
        Assert.Equal(("ServiceAccount", "orleansray-head", "orleansray"), (subject.GetProperty("kind").GetString(), subject.GetProperty("name").GetString(), subject.GetProperty("namespace").GetString()));

        // Exactly what KubernetesApi calls: ReadNamespacedDeploymentAsync (get the worker Deployment),
        // PatchNamespacedDeploymentScaleAsync (patch its scale), ListNamespacedPodAsync and PatchNamespacedPodAsync
        // (list, patch pods). No patch of the Deployment (any pod spec), no delete, no create, nothing cluster-wide.
        var rules = Workload(objects, "Role", "orleansray-autoscaler").GetProperty("rules").EnumerateArray()
            .SelectMany(r => r.GetProperty("resources").EnumerateArray().Select(res => (
                Resource: $"{r.GetProperty("apiGroups")[0].GetString()}/{res.GetString()}",
                Names: r.TryGetProperty("resourceNames", out var n) ? string.Join(',', n.EnumerateArray().Select(x => x.GetString())) : "*",
                Verbs: string.Join(',', r.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()).Order(StringComparer.Ordinal)))))
            .OrderBy(r => r.Resource, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            [("/pods", "*", "list,patch"), ("apps/deployments", "orleansray-worker", "get"), ("apps/deployments/scale", "orleansray-worker", "patch")],
            rules);
        Assert.DoesNotContain(objects, o => o.GetProperty("kind").GetString() is "ClusterRole" or "ClusterRoleBinding");
    }

    private static void AssertProbesOn(JsonElement container, int port)
    {
        var ports = container.GetProperty("ports").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("containerPort").GetInt32());
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
        {
            var get = container.GetProperty(probe).GetProperty("httpGet");
            Assert.Equal("/healthz", get.GetProperty("path").GetString());
            var target = get.GetProperty("port");
            Assert.Equal(port, target.ValueKind == JsonValueKind.Number ? target.GetInt32() : ports[target.GetString()!]);
        }
    }

    private static void AssertFromSecrets(Dictionary<string, JsonElement> env)
    {
        Assert.StartsWith("orleansray-auth-", env["ORLEANSRAY_AUTH_TOKEN"].GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("orleansray-storage-", env["ORLEANSRAY_STORAGE"].GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString(), StringComparison.Ordinal);
    }

    private static string Name(JsonElement o) => o.GetProperty("metadata").GetProperty("name").GetString() ?? string.Empty;

    private static JsonElement Workload(JsonElement[] objects, string kind, string name) =>
        objects.Single(o => o.GetProperty("kind").GetString() == kind && Name(o) == name);

    private static List<JsonElement> Containers(JsonElement workload) =>
        [.. workload.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers").EnumerateArray()];

    private static List<string> Args(JsonElement container) =>
        [.. container.GetProperty("args").EnumerateArray().Select(a => a.GetString() ?? string.Empty)];

    private static Dictionary<string, JsonElement> Env(JsonElement container) =>
        container.GetProperty("env").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e);

    private static string After(List<string> args, string flag)
    {
        var index = args.IndexOf(flag);
        Assert.True(index >= 0 && index + 1 < args.Count, $"{flag} with a value is not among the args: {string.Join(' ', args)}");
        return args[index + 1];
    }
}
