using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Commands;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>The cluster config file: a good one is read as written, a bad one is refused naming file, line and field.</summary>
public sealed class ClusterConfigTests
{
    private const string File = "/configs/cluster.yaml";

    private const string Good = """
        cluster_name: demo
        max_workers: 3
        upscaling_speed: 2
        idle_timeout_minutes: 0.05
        provider:
          type: local
        head_node_type: head
        available_node_types:
          head:
            resources: {CPU: 1}
          worker:
            resources: {CPU: 2, accel: 1, memory: 1073741824}
            min_workers: 1
            max_workers: 2
            start_options:
              object-store-memory: 67108864
              insecure: true
        """;

    [Fact]
    public void A_good_config_is_read_with_its_limits_types_and_start_arguments()
    {
        var config = ClusterConfigLoader.Parse(Good, File);

        Assert.Equal("demo", config.ClusterName);
        Assert.Equal((3, 2.0, TimeSpan.FromSeconds(3)), (config.MaxWorkers, config.UpscalingSpeed, config.IdleTimeout));
        Assert.IsType<LocalProviderConfig>(config.Provider);
        Assert.Equal(1, config.HeadType.Resources[ResourceSet.Cpu]);
        var worker = Assert.Single(config.WorkerTypes);
        Assert.Equal(("worker", 1, 2), (worker.Name, worker.MinWorkers, worker.MaxWorkers));
        Assert.Equal(
            ["--num-cpus", "2", "--memory", "1073741824", "--resources", "{\"accel\": 1}", "--object-store-memory", "67108864", "--insecure"],
            worker.StartArguments());
    }

    [Fact]
    public void A_head_given_zero_CPUs_is_started_with_none_not_with_its_machines()
    {
        // Ray users keep work off the head with resources: {CPU: 0}; a ResourceSet keeps no zero amount, so the 0 must
        // still reach the start arguments (a reviewer's head got every CPU, and Train ranks landed on it).
        var config = ClusterConfigLoader.Parse("""
            cluster_name: z
            provider: {type: local}
            head_node_type: head
            available_node_types:
              head: {resources: {CPU: 0, GPU: 0}}
              worker: {resources: {CPU: 1, memory: 0}}
            """, File);

        Assert.Equal(["--num-cpus", "0", "--num-gpus", "0"], config.HeadType.StartArguments());
        Assert.Equal(["--num-cpus", "1", "--memory", "0"], Assert.Single(config.WorkerTypes).StartArguments());
        Assert.Empty(ClusterConfigLoader.Parse(Good.Replace("resources: {CPU: 1}", "{}", StringComparison.Ordinal), File).HeadType.StartArguments());
    }

    [Fact]
    public void Defaults_are_Rays_and_the_kubernetes_provider_gets_its_fields()
    {
        var config = ClusterConfigLoader.Parse("""
            cluster_name: k
            provider: {type: kubernetes, namespace: prod}
            head_node_type: head
            available_node_types:
              head: {}
              worker: {resources: {CPU: 2}}
            """, File);

        Assert.Equal((2, 1.0, TimeSpan.FromMinutes(5)), (config.MaxWorkers, config.UpscalingSpeed, config.IdleTimeout));
        Assert.Equal(new KubernetesProviderConfig("prod", "orleansray-worker", null, null), config.Provider);
        Assert.Equal((0, 2), (config.WorkerTypes[0].MinWorkers, config.WorkerTypes[0].MaxWorkers));
    }

    [Fact]
    public void The_kubernetes_autoscaling_components_config_is_valid_and_matches_the_worker_pods()
    {
        var path = Path.GetFullPath(Path.Combine(SourceFolder(), "..", "..", "..", "deploy", "kubernetes", "autoscaling", "cluster.yaml"));

        var config = ClusterConfigLoader.Load(path);

        Assert.Equal(new KubernetesProviderConfig("orleansray", "orleansray-worker", null, null), config.Provider);
        Assert.Equal(0, config.HeadType.Resources[ResourceSet.Cpu]);
        // worker.yaml requests cpu "2" and memory 2Gi: what each worker pod offers (--num-cpus, --memory).
        Assert.Equal(2, Assert.Single(config.WorkerTypes).Resources[ResourceSet.Cpu]);
    }

    private static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    [Theory]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    min_worker: 1\n", 11, "available_node_types.worker.min_worker", "unknown field")]
    [InlineData("  worker:\n    resources: {CPU: two}\n", 10, "available_node_types.worker.resources.CPU", "expected a number")]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    min_workers: 3\n    max_workers: 2\n", 11, "available_node_types.worker.min_workers", "lower min_workers or raise max_workers")]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    max_workers: -1\n", 11, "available_node_types.worker.max_workers", "max_workers: max_workers is -1; it cannot be negative: use 0 or more.")]
    [InlineData("  worker:\n    resources: {CPU: -2}\n", 10, "available_node_types.worker.resources.CPU", "cannot be negative")]
    [InlineData("  worker:\n    resources: {CPU: 1.5}\n", 10, "available_node_types.worker.resources.CPU", "CPU is 1.5; a node offers a whole number of CPUs (orleansray start --num-cpus), e.g. 2.")]
    [InlineData("  worker:\n    resources: {CPU: 2, GPU: 0.5}\n", 10, "available_node_types.worker.resources.GPU", "GPU is 0.5; a node offers a whole number of GPUs (orleansray start --num-gpus), e.g. 1.")]
    [InlineData("  worker:\n    min_workers: 1\n", 10, "available_node_types.worker.resources", "needs its resources")]
    [InlineData("  worker:\n    resorces: {CPU: 1}\n", 10, "available_node_types.worker.resorces", "unknown field; the fields here are: resources, min_workers")]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    start_options: {num-cpus: 4}\n", 11, "available_node_types.worker.start_options.num-cpus", "put the amount under resources")]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    start_options: {port: 4000}\n", 11, "available_node_types.worker.start_options.port", "set by the autoscaler for each worker")]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    start_options: {task-channel-port: 4001}\n", 11, "available_node_types.worker.start_options.task-channel-port", "set by the autoscaler for each worker")]
    [InlineData("  worker:\n    resources: {CPU: 2}\n    start_options:\n      session-dir: /tmp/s\n", 12, "available_node_types.worker.start_options.session-dir", "set by the autoscaler")]
    public void A_bad_node_type_is_refused_with_file_line_and_field(string workerYaml, int line, string field, string advice)
    {
        var text = "cluster_name: demo\nmax_workers: 4\nprovider:\n  type: local\nhead_node_type: head\navailable_node_types:\n  head:\n    resources: {CPU: 1}\n" + workerYaml;

        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfigLoader.Parse(text, File));

        Assert.Equal((File, line, field), (error.FilePath, error.Line, error.Field));
        Assert.StartsWith($"{File}:{line}: {field}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A head start option <c>orleansray start</c> refuses is reported by <c>up</c> at the entry's line (the
    /// <c>start_options</c> line when no one entry is at fault), in the loader's FILE:LINE: FIELD: form.</summary>
    [Theory]
    [InlineData("    start_options: {no-such-option: 1}\n", 9, "available_node_types.head.start_options.no-such-option", "unknown option '--no-such-option' for `orleansray start`")]
    [InlineData("    start_options:\n      insecure: true\n      object-store-memory: lots\n", 11, "available_node_types.head.start_options.object-store-memory", "--object-store-memory 'lots': expected a whole number")]
    [InlineData("    start_options:\n      dashboard-port: 8266\n      port:\n", 11, "available_node_types.head.start_options.port", "--port '': expected a whole number")]
    [InlineData("    min_workers: 0\n    start_options:\n      port: 30001\n      --port: 30002\n", 10, "available_node_types.head.start_options", "--port")]
    [InlineData("    start_options:\n      insecure: yes\n", 10, "available_node_types.head.start_options.insecure", "--insecure is a flag: it takes true or false, not 'yes'")]
    public void A_bad_head_start_option_is_refused_by_up_at_its_line(string headOptions, int line, string field, string problem)
    {
        var text = "cluster_name: demo\nmax_workers: 4\nprovider:\n  type: local\nhead_node_type: head\navailable_node_types:\n  head:\n    resources: {CPU: 1}\n" + headOptions;
        var config = ClusterConfigLoader.Parse(text, File);

        var error = Assert.Throws<CliException>(() => UpCommand.ParseHeadStart(config));

        Assert.Equal(CliException.UsageExitCode, error.ExitCode);
        Assert.StartsWith($"{File}:{line}: {field}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    /// <summary>A check of <c>start</c> itself (a value it parses but refuses) about a head start option is placed at
    /// that entry's line; one about an option the config does not set is left as it is.</summary>
    [Fact]
    public void A_start_error_naming_a_head_start_option_points_at_its_entry()
    {
        var text = "cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\navailable_node_types:\n  head:\n    start_options:\n      node-port: 30001\n      port: 70000\n";
        var config = ClusterConfigLoader.Parse(text, File);
        Assert.Empty(UpCommand.ParseHeadStart(config).Errors);

        Assert.Equal("port", UpCommand.HeadStartOptionNamedBy(config, "--port 70000: a TCP port is 1-65535."));
        Assert.Equal("node-port", UpCommand.HeadStartOptionNamedBy(config, "--node-port and --port are both 30001: give them different ports."));
        Assert.Null(UpCommand.HeadStartOptionNamedBy(config, "--port-range 1: not an option of the config."));
        Assert.Null(UpCommand.HeadStartOptionNamedBy(config, "--dashboard-port 8265: the port is in use."));
        Assert.Equal(
            $"{File}:8: available_node_types.head.start_options.port: --port 70000: a TCP port is 1-65535.",
            config.StartOptionError(config.HeadType, "port", "--port 70000: a TCP port is 1-65535.").Message);
    }

    [Theory]
    [InlineData("cluster_name: demo\nhead_node_type: head\navailable_node_types:\n  head: {}\n", 1, "provider", "add a provider section")]
    [InlineData("cluster_name: demo\nprovider: {type: local}\nhead_node_type: boss\navailable_node_types:\n  head: {}\n", 3, "head_node_type", "'boss' is not one of available_node_types (they are: head)")]
    [InlineData("cluster_name: demo\nprovider: {type: cloud}\nhead_node_type: head\navailable_node_types:\n  head: {}\n", 2, "provider.type", "use local")]
    [InlineData("cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\nidle_timeout_minutes: soon\navailable_node_types:\n  head: {}\n", 4, "idle_timeout_minutes", "expected a number")]
    [InlineData("cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\nupscaling_speed: 0\navailable_node_types:\n  head: {}\n", 4, "upscaling_speed", "upscaling_speed: upscaling_speed is 0; it must be greater than 0.")]
    [InlineData("cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\nmax_workers: 1\navailable_node_types:\n  head: {}\n  a: {resources: {CPU: 1}, min_workers: 1}\n  b: {resources: {CPU: 1}, min_workers: 1}\n", 4, "max_workers", "add up to 2")]
    [InlineData("cluster_name: demo\nprovider: {type: kubernetes}\nhead_node_type: head\navailable_node_types:\n  head: {}\n  a: {resources: {CPU: 1}}\n  b: {resources: {CPU: 1}}\n", 4, "available_node_types", "exactly one worker node type")]
    [InlineData("cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\navailable_node_types:\n  head: {}\nworkers: 3\n", 6, "workers", "unknown field")]
    [InlineData("cluster_name: demo\nprovider: {type: local\nhead_node_type: head\n", 2, "", "is not valid YAML from this line on")]
    [InlineData("cluster_name: demo\nprovider:\n  type: local\n head_node_type: head\n", 4, "", "is not valid YAML")]
    [InlineData("cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\navailable_node_types:\n  head: {}\ncluster_name: again\n", 6, "cluster_name", "appears twice")]
    public void A_bad_config_is_refused_with_file_line_and_field(string text, int line, string field, string advice)
    {
        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfigLoader.Parse(text, File));

        Assert.Equal((line, field), ((int)error.Line, error.Field));
        Assert.StartsWith($"{File}:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_names_the_file_it_read_in_its_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orleansray-cluster-{Guid.NewGuid():N}.yaml");
        System.IO.File.WriteAllText(path, "cluster_name: demo\nprovider: {type: local}\nhead_node_type: head\navailable_node_types:\n  head:\n    resources: {CPU: 1}\n    min_workers: 2\n");
        try
        {
            var error = Assert.Throws<ClusterConfigException>(() => ClusterConfigLoader.Load(path));

            Assert.StartsWith($"{path}:7: available_node_types.head.min_workers: ", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_is_refused_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orleansray-missing-{Guid.NewGuid():N}.yaml");

        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfigLoader.Load(path));

        Assert.StartsWith($"{path}: cannot be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_READMEs_config_example_is_a_valid_config()
    {
        var readme = System.IO.File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
        var start = readme.IndexOf("```yaml\ncluster_name:", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no ```yaml block starting with cluster_name:");
        var body = readme[(start + "```yaml\n".Length)..];
        var yaml = body[..body.IndexOf("```", StringComparison.Ordinal)];

        var config = ClusterConfigLoader.Parse(yaml, "README.md");

        Assert.Equal(("demo", 4, "worker"), (config.ClusterName, config.MaxWorkers, config.WorkerTypes[0].Name));
    }
}
