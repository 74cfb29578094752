using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 13: deploy/compose/docker-compose.yml works as written. Without Docker, each of its containers is a
/// network namespace (PostgreSQL, the head, two replicas of the worker service, a driver), wired as compose wires them:
/// one bridge, an address each, service names in /etc/hosts; each runs its service's command and environment exactly
/// (<see cref="NetnsComposeCluster"/>), so a wrong flag or a missing variable in the file fails here.</summary>
public sealed class ComposeNetnsTests
{
    private readonly ITestOutputHelper _output;

    public ComposeNetnsTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void The_compose_file_needs_both_secrets_from_the_env_file_commits_none_and_publishes_on_loopback_only()
    {
        // .env.example as committed: its secrets are empty, so compose refuses to start, naming the variable.
        var example = ComposeFile.ReadEnvFile(Path.Combine(NetnsComposeCluster.ComposeFolder, ".env.example"));
        Assert.Equal(string.Empty, example["ORLEANSRAY_AUTH_TOKEN"]);
        Assert.Equal(string.Empty, example["POSTGRES_PASSWORD"]);
        var refused = Assert.Throws<ComposeException>(() => ComposeFile.Load(NetnsComposeCluster.ComposePath, example));
        Assert.Matches("ORLEANSRAY_AUTH_TOKEN|POSTGRES_PASSWORD", refused.Message);
        foreach (var secret in new[] { "ORLEANSRAY_AUTH_TOKEN", "POSTGRES_PASSWORD" })
        {
            var without = NetnsComposeCluster.TestVariables();
            without.Remove(secret);
            var missing = Assert.Throws<ComposeException>(() => ComposeFile.Load(NetnsComposeCluster.ComposePath, without));
            Assert.Contains(secret, missing.Message, StringComparison.Ordinal);
        }

        Assert.Contains(".env", File.ReadAllLines(Path.Combine(NetnsComposeCluster.ComposeFolder, ".gitignore")));
        Assert.False(File.Exists(Path.Combine(NetnsComposeCluster.ComposeFolder, ".env")) && IsTracked(Path.Combine("deploy", "compose", ".env")), ".env must never be committed");

        var variables = NetnsComposeCluster.TestVariables();
        var services = ComposeFile.Load(NetnsComposeCluster.ComposePath, variables);
        var head = services["head"];
        Assert.Equal(["127.0.0.1:30000:30000", "127.0.0.1:8265:8265"], head.Ports.Order(StringComparer.Ordinal));
        Assert.Empty(services["worker"].Ports);
        Assert.Empty(services["postgres"].Ports);
        foreach (var node in new[] { head, services["worker"] })
        {
            // The token and the password reach the nodes only through the environment, never the command line (ps).
            Assert.True(node.Environment.ContainsKey("ORLEANSRAY_AUTH_TOKEN"), $"{node.Name}: its environment has no ORLEANSRAY_AUTH_TOKEN (TLS needs the cluster token on every node)");
            Assert.True(node.Environment.ContainsKey("ORLEANSRAY_STORAGE"), $"{node.Name}: its environment has no ORLEANSRAY_STORAGE (every node of a PostgreSQL cluster needs it)");
            Assert.Equal(variables["ORLEANSRAY_AUTH_TOKEN"], node.Environment["ORLEANSRAY_AUTH_TOKEN"]);
            Assert.Contains("Host=postgres;", node.Environment["ORLEANSRAY_STORAGE"], StringComparison.Ordinal);
            Assert.Contains("Password=" + variables["POSTGRES_PASSWORD"], node.Environment["ORLEANSRAY_STORAGE"], StringComparison.Ordinal);
            Assert.DoesNotContain(node.Command, a => a.Contains(variables["POSTGRES_PASSWORD"], StringComparison.Ordinal) || a.Contains(variables["ORLEANSRAY_AUTH_TOKEN"], StringComparison.Ordinal));
            Assert.DoesNotContain("--insecure", node.Command);
            Assert.Contains("--block", node.Command);
            Assert.True(node.Raw.ContainsKey("shm_size"), $"{node.Name}: shm_size (the object store lives in /dev/shm)");
            Assert.True(node.Raw.ContainsKey("stop_grace_period"), $"{node.Name}: stop_grace_period");
            Assert.NotNull(node.Healthcheck);
        }

        Assert.Equal("service_healthy", head.DependsOn["postgres"]);
        Assert.Equal("service_healthy", services["worker"].DependsOn["head"]);
        Assert.NotNull(services["postgres"].Healthcheck);
        Assert.Contains("pg_isready", string.Join(' ', services["postgres"].Healthcheck!), StringComparison.Ordinal);
        Assert.True(services["postgres"].Raw.ContainsKey("volumes"), "postgres keeps its data in a volume");
    }

    [Fact]
    public async Task The_compose_cluster_runs_in_network_namespaces_with_TLS_and_a_driver_survives_kill_9_of_a_worker_container()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var cluster = await NetnsComposeCluster.StartAsync();
        try
        {
            _output.WriteLine($"cluster up in {clock.Elapsed.TotalSeconds:0.0} s");

            // TLS is on: the head's gateway answers a TLS 1.3 handshake from the driver's namespace (a plaintext
            // Orleans gateway answers none), and a driver without the token is refused.
            var tls = await cluster.RunInAsync("driver", ["openssl", "s_client", "-connect", "head:30000", "-tls1_3", "-brief"], TimeSpan.FromSeconds(20));
            _output.WriteLine($"openssl s_client head:30000: {tls}");
            Assert.Contains("Protocol version: TLSv1.3", tls.Output + tls.Error, StringComparison.Ordinal);
            Assert.Contains("CN = orleansray-cluster", tls.Output + tls.Error, StringComparison.Ordinal);
            var driverAddress = cluster.Network.AddressOf("driver").ToString();
            await Poll.UntilAsync(
                () => cluster.Head.Output.Contains($"Refused a client connection from {driverAddress}:", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20),
                "the head to log that it refused the token-less TLS client from the driver's namespace");

            // So does a worker's node-to-node port (from its log line "nodes to port N"), from another worker's namespace.
            var worker2 = cluster.Processes.Single(p => p.Name == "worker2");
            var nodePort = System.Text.RegularExpressions.Regex.Match(worker2.Output, @"nodes to port (\d+)");
            Assert.True(nodePort.Success, $"worker2 logs its node port:\n{worker2.Tail()}");
            var siloTls = await cluster.RunInAsync("worker1", ["openssl", "s_client", "-connect", $"{cluster.Network.AddressOf("worker2")}:{nodePort.Groups[1].Value}", "-tls1_3", "-brief"], TimeSpan.FromSeconds(20));
            Assert.Contains("Protocol version: TLSv1.3", siloTls.Output + siloTls.Error, StringComparison.Ordinal);

            // The driver: an outside program (the TestApp, whose code the nodes never loaded) in its own namespace, with
            // only the token and the head's address, as a driver next to the compose project would have.
            var worker1 = cluster.Network.AddressOf("worker1").ToString();
            var driver = cluster.StartIn(
                "driver",
                NetnsComposeCluster.DotNet,
                [TestAppDriver.Assembly, "acceptance", worker1],
                new Dictionary<string, string>
                {
                    ["ORLEANSRAY_AUTH_TOKEN"] = cluster.Variables["ORLEANSRAY_AUTH_TOKEN"],
                    ["ORLEANSRAY_ADDRESS"] = "head:30000",
                });

            var window = driver.WhenPrintedAsync("kill-window open");
            _ = driver.WhenPrintedAsync("check connected ok").ContinueWith(_ => cluster.Note("driver connected"), TaskScheduler.Default);
            _ = driver.WhenPrintedAsync("check victim-dead ok").ContinueWith(_ => cluster.Note("driver saw worker1 dead"), TaskScheduler.Default);
            var exited = driver.WaitForExitAsync(TimeSpan.FromSeconds(150));
            if (await Task.WhenAny(window, exited) == window)
            {
                cluster.Note("driver: kill-window open");
                var killed = await cluster.KillContainerAsync("worker1");
                Assert.NotEmpty(killed);
                Assert.Empty(await NetnsNetwork.PidsAsync(cluster.Namespace("worker1")));
            }

            var exitCode = await exited;
            cluster.Note($"driver exited {exitCode}");
            _output.WriteLine(driver.Output);
            Assert.True(exitCode == 0, $"the driver failed (exit {exitCode}):\n{cluster.Diagnostics()}");
            foreach (var check in new[] { "connected", "nodes", "victim-known", "tasks", "tasks-on-every-node", "affinity", "actor", "large-object-node-to-node", "large-object-driver", "victim-busy", "tasks-survive-kill", "victim-dead", "tasks-after-kill", "actor-after-kill" })
            {
                Assert.Contains($"check {check} ok", driver.Output, StringComparison.Ordinal);
            }

            Assert.Contains("kill-window open", driver.Output, StringComparison.Ordinal);
            Assert.Contains("acceptance passed", driver.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("FAILED", driver.Output, StringComparison.Ordinal);

            // The rest of the cluster is still up: head and worker2 running, their healthchecks passing.
            Assert.All(cluster.Processes.Where(p => p.Name is "head" or "worker2"), p => Assert.False(p.HasExited, $"{p.Name} exited:\n{p.Tail()}"));
            _output.WriteLine($"test body done in {clock.Elapsed.TotalSeconds:0.0} s");
            _output.WriteLine(cluster.Diagnostics(0));
        }
        catch
        {
            _output.WriteLine(cluster.Diagnostics(80));
            throw;
        }
    }

    private static bool IsTracked(string relativePath) =>
        ProcessRunner.RunAsync("git", ["-C", RepositoryFiles.Root, "ls-files", "--error-unmatch", relativePath], TimeSpan.FromSeconds(20)).GetAwaiter().GetResult().ExitCode == 0;
}
