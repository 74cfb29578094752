using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 13, security: a CLI cluster is secured by default. Its token is needed to connect; every Orleans
/// connection is TLS 1.3 with a key derived from it; a process without it fails at once with a clear message, and the
/// refusal is logged on the node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSecurityTests : IAsyncLifetime
{
    /// <summary>Long enough for a loaded CI machine; a refusal normally comes in well under a second.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly SharedCluster _shared;

    public ClusterSecurityTests(SharedCluster shared)
    {
        _shared = shared;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_raw_Orleans_client_without_the_secret_is_refused_and_the_head_logs_the_refusal()
    {
        var before = RefusalCount();
        var gateway = IPEndPoint.Parse(Cluster.Address);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(gateway);
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("orleansray", "orleansray"));
        });
        using var host = builder.Build();
        // Orleans' client does not give up on its own: its connections are dropped in the (failed) TLS handshake and it
        // keeps trying until its start is cancelled. It must never get through in the meantime.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var connect = host.StartAsync(giveUp.Token);
        var outcome = await Task.WhenAny(connect, Task.Delay(Deadline));
        Assert.True(outcome == connect, $"a plain Orleans client's start neither ended nor was cancelled within {Deadline}");
        Assert.False(connect.IsCompletedSuccessfully, "a plain Orleans client connected to a secured cluster");
        await Poll.UntilAsync(() => RefusalCount() > before, Deadline, "the head logs the refused client connection");
        Assert.Contains("Refused a client connection from 127.0.0.1:", Cluster.Head.LogTail(200), StringComparison.Ordinal);
        // Once, in our words: not first as Orleans' TLS middleware's warning with the handshake's stack trace.
        Assert.DoesNotContain("Orleans.Connections.Security.TlsServerConnectionMiddleware", Cluster.Head.LogTail(200), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_with_a_wrong_token_fails_at_once_saying_so_and_with_the_token_it_runs_tasks_on_every_node()
    {
        var before = RefusalCount();
        var started = Stopwatch.StartNew();
        var wrong = await Assert.ThrowsAsync<RayException>(() =>
            Ray.InitAsync(new RayOptions { Address = Cluster.Address, AuthToken = ClusterCredentials.NewToken() }).WaitAsync(Deadline));
        Assert.Contains("holds another auth token than the one from RayOptions.AuthToken", wrong.Message, StringComparison.Ordinal);
        // At once: one TLS probe, not the Orleans client's connect timeout (20 s), which it would wait out retrying.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        await Poll.UntilAsync(() => RefusalCount() > before, Deadline, "the head logs the refused driver");

        await using var ray = await Driver.ConnectAsync(Cluster);
        var squares = await ray.GetAsync(Enumerable.Range(1, 30).Select(i => ray.Task(Work.Square, i).Remote()).ToArray(), Deadline);
        Assert.Equal(Enumerable.Range(1, 30).Sum(i => i * i), squares.Sum());
    }

    [Fact]
    public async Task A_driver_with_Insecure_is_told_at_once_that_the_cluster_needs_its_token()
    {
        var started = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<RayException>(() =>
            Ray.InitAsync(new RayOptions { Address = Cluster.Address, Insecure = true }).WaitAsync(Deadline));
        Assert.Contains($"{Cluster.Address} answered with TLS, which Insecure = true does not use: it is a cluster started without --insecure (leave Insecure false and give RayOptions.AuthToken", refused.Message, StringComparison.Ordinal);
        // At once: one TLS probe, not the Orleans client's connect timeout (20 s).
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Node_and_gateway_ports_speak_only_TLS_1_3_with_the_clusters_key()
    {
        using var credentials = ClusterCredentials.FromToken(Cluster.AuthToken!);
        using var stranger = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        foreach (var node in Cluster.RunningNodes)
        {
            foreach (var port in new[] { node.Port, node.NodePort })
            {
                var endpoint = new IPEndPoint(IPAddress.Loopback, port);
                Assert.Equal(SslProtocols.Tls13, await HandshakeAsync(endpoint, credentials));
                // Another token's key: the node's certificate is not its cluster's, so the handshake fails.
                await Assert.ThrowsAnyAsync<AuthenticationException>(() => HandshakeAsync(endpoint, stranger));
            }
        }
    }

    [Fact]
    public async Task CLI_verbs_and_workers_without_the_token_or_with_a_wrong_one_get_one_line_saying_what_to_do()
    {
        // A fresh temp root: no token file to find, as on another machine.
        using var elsewhere = new OrleansRayCommand("orx-");
        var status = await elsewhere.RunAsync("status", "--address", Cluster.Address);
        Assert.Equal(2, status.ExitCode);
        Assert.Contains("no auth token: give --auth-token TOKEN or set $ORLEANSRAY_AUTH_TOKEN", status.Error, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        var wrong = await elsewhere.RunAsync("status", "--address", Cluster.Address, "--auth-token", ClusterCredentials.NewToken());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"a wrong token took {clock.Elapsed} to be told");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("presented a certificate that is not this cluster's: it holds another auth token than the one this command used", wrong.Error, StringComparison.Ordinal);

        var worker = await elsewhere.RunAsync("start", "--address", Cluster.Address, "--num-cpus", "1", "--auth-token", ClusterCredentials.NewToken());
        Assert.Equal(2, worker.ExitCode);
        Assert.Contains("presented a certificate that is not this cluster's: it holds another auth token than the one this command used", worker.Error, StringComparison.Ordinal);
        Assert.Empty(elsewhere.NodePids());

        var insecure = await elsewhere.RunAsync("status", "--address", Cluster.Address, "--insecure");
        Assert.Equal(2, insecure.ExitCode);
        Assert.Contains("answered with TLS, which --insecure does not use: it is a cluster started without --insecure (leave out --insecure and give --auth-token", insecure.Error, StringComparison.Ordinal);

        var good = await elsewhere.RunAsync("status", "--address", Cluster.Address, "--auth-token", Cluster.AuthToken!);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("Active: 3 node(s)", good.Output, StringComparison.Ordinal);
    }

    /// <summary><c>$ORLEANSRAY_INSECURE</c> makes a verb connect as <c>--insecure</c> does (this secured cluster then
    /// says it answered with TLS); <c>--auth-token</c> given wins over it; a bad value is one line naming it.</summary>
    [Fact]
    public async Task ORLEANSRAY_INSECURE_acts_as_insecure_unless_an_option_is_given_and_a_bad_value_is_named()
    {
        using var insecure = new OrleansRayCommand("orx-", new Dictionary<string, string> { ["ORLEANSRAY_INSECURE"] = "1" });
        var plain = await insecure.RunAsync("status", "--address", Cluster.Address);
        Assert.True(plain.ExitCode == 2, plain.ToString());
        Assert.Contains("answered with TLS, which --insecure does not use", plain.Error, StringComparison.Ordinal);

        var withToken = await insecure.RunAsync("status", "--address", Cluster.Address, "--auth-token", Cluster.AuthToken!);
        Assert.True(withToken.ExitCode == 0, withToken.ToString());
        Assert.Contains("Active: 3 node(s)", withToken.Output, StringComparison.Ordinal);

        using var bad = new OrleansRayCommand("orx-", new Dictionary<string, string> { ["ORLEANSRAY_INSECURE"] = "maybe" });
        var refused = await bad.RunAsync("list", "nodes", "--address", Cluster.Address);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: $ORLEANSRAY_INSECURE is 'maybe': expected true, false, 1 or 0", line, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_token_is_kept_0600_on_the_heads_machine_and_in_no_process_command_line()
    {
        var file = Path.Combine(Cluster.TempDirectory, "orleansray_auth_token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var token = Cluster.AuthToken!;
        Assert.Equal(43, token.Length);
        foreach (var node in Cluster.RunningNodes)
        {
            Assert.DoesNotContain(token, CommandLine(node.Process.Pid), StringComparison.Ordinal);
            foreach (var store in ProcessTree.Children(node.Process.Pid, "orleansray-store"))
            {
                Assert.DoesNotContain(token, CommandLine(store.Pid), StringComparison.Ordinal);
            }
        }
    }

    private int RefusalCount() =>
        Cluster.Head.LogFile is { } log && File.Exists(log)
            ? File.ReadLines(log).Count(l => l.Contains("OrleansRay.Security", StringComparison.Ordinal) && l.Contains("Refused", StringComparison.Ordinal))
            : 0;

    private static async Task<SslProtocols> HandshakeAsync(IPEndPoint endpoint, ClusterCredentials credentials)
    {
        using var tcp = new TcpClient();
        using var deadline = new CancellationTokenSource(Deadline);
        await tcp.ConnectAsync(endpoint, deadline.Token);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(credentials.ClientOptions(), deadline.Token);
        return ssl.SslProtocol;
    }

    private static string CommandLine(int pid) =>
        File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
}

/// <summary>Issue 13, point 4: <c>--insecure</c> turns security off, with a warning; drivers then connect with
/// <c>Insecure = true</c>, and one that expects a token is told what to do. A head of its own (the shared cluster is
/// secured).</summary>
public sealed class InsecureClusterTests
{
    [Fact]
    public async Task An_insecure_head_warns_keeps_no_token_and_serves_insecure_drivers_only()
    {
        using var command = new OrleansRayCommand("ori-");
        var port = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        var healthPort = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        var head = await command.RunAsync("start", "--head", "--insecure", "--health-port", healthPort, "--port", port, "--dashboard-port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(CultureInfo.InvariantCulture), "--load", LocalCluster.TestAppAssembly);
        Assert.True(head.ExitCode == 0, head.ToString());
        Assert.Contains("warning: --insecure: no TLS and no token", head.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(command.TempDirectory, "orleansray_auth_token")));
        var address = "127.0.0.1:" + port;

        // Its next steps work as printed: they say --insecure (Insecure = true), which every client of it needs.
        Assert.Contains($"Address = \"{address}\", Insecure = true }}", head.Output, StringComparison.Ordinal);
        Assert.Contains($"orleansray start --address {address} --insecure", head.Output, StringComparison.Ordinal);
        Assert.Contains("orleansray status --insecure", head.Output, StringComparison.Ordinal);
        var printedStatus = await command.RunAsync("status", "--insecure");
        Assert.True(printedStatus.ExitCode == 0 && printedStatus.Output.Contains("Active: 1 node(s)", StringComparison.Ordinal), printedStatus.ToString());

        // The health port (every interface, for probes) answers /healthz and nothing else: not the dashboard's API.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/healthz"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"http://127.0.0.1:{healthPort}/api/cluster"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(new Uri($"http://127.0.0.1:{healthPort}/api/jobs"), new StringContent("{}"))).StatusCode);
        }

        await using (var ray = await Ray.InitAsync(new RayOptions { Address = address, Insecure = true }).WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(49, await ray.GetAsync(ray.Task(Work.Square, 7).Remote(), TimeSpan.FromSeconds(60)));
        }

        // A driver expecting TLS (it has a token) is refused with the reason.
        var secured = await Assert.ThrowsAsync<RayException>(() =>
            Ray.InitAsync(new RayOptions { Address = address, AuthToken = ClusterCredentials.NewToken() }).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"{address} answered without TLS: it runs --insecure (then use Insecure = true", secured.Message, StringComparison.Ordinal);
        var securedCli = await command.RunAsync("status", "--address", address, "--auth-token", ClusterCredentials.NewToken());
        Assert.True(
            securedCli.ExitCode == 2 && securedCli.Error.Contains($"cannot connect to {address}: {address} answered without TLS: it runs --insecure (then use --insecure), or the address is not an OrleansRay gateway.", StringComparison.Ordinal),
            securedCli.ToString());

        var stop = await command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }
}
