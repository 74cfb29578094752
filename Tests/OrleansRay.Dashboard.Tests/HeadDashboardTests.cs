using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Playwright;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Dashboard.Tests.Fixtures;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Dashboard.Tests;

/// <summary>The dashboard of a real head node started with <c>orleansray start --head</c>, seen through a real browser.</summary>
public sealed partial class HeadDashboardTests : IClassFixture<Browser>, IDisposable
{
    private static readonly TimeSpan PageDeadline = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private readonly OrleansRayCommand _command = new("ordash-");
    private readonly Browser _browser;

    public HeadDashboardTests(Browser browser)
    {
        _browser = browser;
    }

    [Fact]
    public async Task Cluster_page_shows_the_head_a_worker_joining_and_a_drivers_infeasible_demand_and_agrees_with_status()
    {
        var port = Text(TestPorts.Free());
        var dashboardPort = TestPorts.Free();
        var url = $"http://127.0.0.1:{Text(dashboardPort)}";

        var start = await _command.RunAsync("start", "--head", "--port", port, "--num-cpus", "3", "--resources", "{\"accel\": 2}", "--dashboard-port", Text(dashboardPort));

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains(url, start.Output, StringComparison.Ordinal);
        var token = HeadAccess.Token(_command);
        using var http = HeadAccess.Client(token);
        var page = await _browser.NewPageAsync();
        await HeadAccess.LoginAsync(page, url, token);
        await Assertions.Expect(page.GetByTestId("nodes")).ToContainTextAsync("ALIVE", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/3.0 CPU");
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/2.0 accel");
        await Assertions.Expect(page.GetByTestId("alive")).ToContainTextAsync("1");
        await Browser.ScreenshotAsync(page, "cluster-head");

        var worker = await _command.RunAsync("start", "--address", "127.0.0.1:" + port, "--num-cpus", "1");

        Assert.True(worker.ExitCode == 0, worker.ToString());
        Assert.DoesNotContain("Dashboard", worker.Output, StringComparison.Ordinal);
        // The page polls every second and the worker reports within a second: no reload.
        await Assertions.Expect(page.GetByTestId("alive")).ToContainTextAsync("2", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/4.0 CPU");
        await Browser.ScreenshotAsync(page, "cluster-head-and-worker");

        // A connected driver holds a task no node can run: it shows as an infeasible demand, on the page and in status.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = "127.0.0.1:" + port, AuthToken = token });
        var infeasible = ray.Task(Work.Square, 3).Options(new TaskOptions { NumCpus = 64 }).Remote();
        await Assertions.Expect(page.GetByTestId("demands")).ToContainTextAsync("{\"CPU\": 64.0}", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("demands")).ToContainTextAsync("infeasible");
        await Browser.ScreenshotAsync(page, "cluster-driver-demand");

        var status = await _command.RunAsync("status");
        using var cluster = JsonDocument.Parse(await http.GetStringAsync(url + "/api/cluster"));

        Assert.True(status.ExitCode == 0, status.ToString());
        var alive = cluster.RootElement.GetProperty("aliveCount").GetInt32();
        Assert.Equal(2, alive);
        Assert.Contains($"Active: {Text(alive)} node(s)    Dead: {Text(cluster.RootElement.GetProperty("deadCount").GetInt32())} node(s)", status.Output, StringComparison.Ordinal);
        var usageLines = Section(status.Output, "Usage:");
        var apiUsage = cluster.RootElement.GetProperty("total").EnumerateArray().Select(u => u.GetProperty("text").GetString()!).ToList();
        Assert.Equal(apiUsage, usageLines);
        foreach (var node in cluster.RootElement.GetProperty("nodes").EnumerateArray())
        {
            Assert.Contains(node.GetProperty("nodeId").GetString()!, status.Output, StringComparison.Ordinal);
        }

        var demandLines = Section(status.Output, "Demands:");
        var apiDemands = cluster.RootElement.GetProperty("demands").EnumerateArray()
            .Select(d => $"{d.GetProperty("shape").GetString()}: {Text(d.GetProperty("count").GetInt32())}+ pending {(d.GetProperty("isActor").GetBoolean() ? "actors" : "tasks")}{(d.GetProperty("isInfeasible").GetBoolean() ? " (infeasible: no node has these resources)" : string.Empty)}")
            .ToList();
        Assert.Equal(apiDemands, demandLines);
        Assert.Contains("{\"CPU\": 64.0}: 1+ pending tasks (infeasible: no node has these resources)", demandLines);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/orleans/")).StatusCode);
        // Secure by default: the Orleans dashboard and the metrics need the token too (--metrics-open: HeadSecurityTests).
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync(url + "/orleans/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync(url + "/metrics")).StatusCode);
        var metrics = await http.GetStringAsync(url + "/metrics");
        Assert.Contains("orleansray_scheduler_tasks_submitted_total", metrics, StringComparison.Ordinal);
        Assert.Contains("orleansray_scheduler_tasks_queued", metrics, StringComparison.Ordinal);
        GC.KeepAlive(infeasible);
    }

    [Fact]
    public async Task A_connected_drivers_workload_moves_every_page_and_the_metrics()
    {
        var port = Text(TestPorts.Free());
        var dashboardPort = TestPorts.Free();
        var url = $"http://127.0.0.1:{Text(dashboardPort)}";
        var start = await _command.RunAsync("start", "--head", "--port", port, "--num-cpus", "2", "--dashboard-port", Text(dashboardPort), "--load", TestAppAssembly);
        Assert.True(start.ExitCode == 0, start.ToString());
        var token = HeadAccess.Token(_command);
        using var http = HeadAccess.Client(token);
        var page = await _browser.NewPageAsync();
        await HeadAccess.LoginAsync(page, url, token);
        await Assertions.Expect(page.GetByTestId("nodes")).ToContainTextAsync("ALIVE", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("nodes")).ToContainTextAsync("2.0 CPU");
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/2.0 CPU");
        Assert.Equal(0, Series(await http.GetStringAsync(url + "/metrics"), "orleansray_scheduler_tasks_received_total"));

        await using var ray = await Ray.InitAsync(new RayOptions { Address = "127.0.0.1:" + port, AuthToken = token });
        var release = Path.Combine(_command.TempDirectory, "release-" + Guid.NewGuid().ToString("N"));
        var holding = Enumerable.Range(0, 2).Select(_ => ray.Task(Work.HoldUntil, release, 60_000).Options(new TaskOptions { NumCpus = 1 }).Remote()).ToArray();

        // Both CPUs are held while the tasks run: the node reports it within a second, the page polls every second.
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("2.0/2.0 CPU", new() { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "workload-cluster-busy");
        await page.GotoAsync(url + "/tasks");
        await Assertions.Expect(page.GetByTestId("running")).ToContainTextAsync("2", new() { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "workload-tasks-running");

        await File.WriteAllTextAsync(release, "go");
        var nodes = await ray.GetAsync(holding, TimeSpan.FromSeconds(60));
        var squares = await ray.GetAsync(Enumerable.Range(0, 20).Select(i => ray.Task(Work.Square, i).Remote()).ToArray(), TimeSpan.FromSeconds(60));
        var counter = ray.Actor(() => new Counter()).Remote();
        Assert.Equal(1, await ray.GetAsync(counter.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(30)));

        Assert.Equal(361, squares[19]);
        Assert.Single(nodes.Distinct());
        // Every task is done: the counts stand still, and the page shows what the API says.
        using (var tasks = JsonDocument.Parse(await http.GetStringAsync(url + "/api/tasks")))
        {
            var counts = tasks.RootElement.GetProperty("counts");
            var finished = counts.GetProperty("finished").GetInt64();
            Assert.True(finished >= 22, tasks.RootElement.ToString());
            Assert.True(counts.GetProperty("received").GetInt64() >= 22, tasks.RootElement.ToString());
            await Assertions.Expect(page.GetByTestId("finished")).ToContainTextAsync(finished.ToString(CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        }

        await Assertions.Expect(page.GetByTestId("running")).ToContainTextAsync("0");
        await Assertions.Expect(page.GetByTestId("latest")).ToContainTextAsync("Work.HoldUntil");
        await Assertions.Expect(page.GetByTestId("latest")).ToContainTextAsync("Work.Square");
        await Browser.ScreenshotAsync(page, "workload-tasks-done");

        await page.GotoAsync(url);
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/2.0 CPU", new() { Timeout = 30_000 });
        await page.GotoAsync(url + "/actors");
        await Assertions.Expect(page.GetByTestId("actors")).ToContainTextAsync("Counter", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("actors")).ToContainTextAsync("ALIVE");
        await Assertions.Expect(page.GetByTestId("alive-actors")).ToContainTextAsync("1");
        await Browser.ScreenshotAsync(page, "workload-actors");
        await page.GotoAsync(url + "/objects");
        await Assertions.Expect(page.GetByTestId("object-nodes")).ToContainTextAsync(nodes[0], new() { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "workload-objects");

        // The driver is a job: its row names this process.
        string? jobId = null;
        await Poll.UntilAsync(
            async () =>
            {
                using var jobs = JsonDocument.Parse(await http.GetStringAsync(url + "/api/jobs"));
                jobId = jobs.RootElement.GetProperty("jobs").EnumerateArray()
                    .Where(j => j.GetProperty("pid").GetInt32() == Environment.ProcessId && j.GetProperty("state").GetString() == "RUNNING")
                    .Select(j => j.GetProperty("jobId").GetString())
                    .FirstOrDefault();
                return jobId is not null;
            },
            TimeSpan.FromSeconds(30),
            "the driver's job in /api/jobs");
        await page.GotoAsync(url + "/jobs");
        await Assertions.Expect(page.GetByTestId("jobs")).ToContainTextAsync(jobId!, new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("jobs")).ToContainTextAsync("RUNNING");
        await Browser.ScreenshotAsync(page, "workload-jobs");

        var metrics = await http.GetStringAsync(url + "/metrics");
        Assert.True(Series(metrics, "orleansray_scheduler_tasks_received_total") >= 22, metrics);
        Assert.True(Series(metrics, "orleansray_scheduler_tasks_finished_total") >= 22, metrics);
        Assert.True(Series(metrics, "orleansray_actors_calls_total") >= 1, metrics);
        Assert.True(Series(metrics, "orleansray_actors_hosted", "state=\"ALIVE\"") >= 1, metrics);
        Assert.True(Series(metrics, "orleansray_objectstore_capacity_bytes") > 0, metrics);
    }

    [Fact]
    public async Task A_dashboard_port_in_use_is_a_one_line_error()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await _command.RunAsync("start", "--head", "--port", Text(TestPorts.Free()), "--dashboard-port", Text(port));

        Assert.Equal(1, result.ExitCode);
        var error = result.Error.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.Contains($"--dashboard-port {Text(port)}: the port is in use", error, StringComparison.Ordinal);
        Assert.Empty(_command.NodePids());
    }

    [Fact]
    public async Task The_default_port_8265_gives_way_to_a_free_port_when_taken()
    {
        TcpListener? taken = null;
        try
        {
            taken = new TcpListener(IPAddress.Loopback, 8265);
            taken.Start();
        }
        catch (SocketException)
        {
            // Another cluster on this machine holds 8265 already: the same situation.
            taken?.Dispose();
            taken = null;
        }

        using (taken)
        {
            var start = await _command.RunAsync("start", "--head", "--port", Text(TestPorts.Free()), "--num-cpus", "1");

            Assert.True(start.ExitCode == 0, start.ToString());
            var url = DashboardUrl().Match(start.Output);
            Assert.True(url.Success, start.Output);
            Assert.NotEqual("8265", url.Groups[1].Value);
            using var http = HeadAccess.Client(HeadAccess.Token(_command));
            using var cluster = JsonDocument.Parse(await http.GetStringAsync(url.Value + "/api/cluster"));
            Assert.True(cluster.RootElement.TryGetProperty("nodes", out _));
        }
    }

    public void Dispose() => _command.Dispose();

    /// <summary>The OrleansRay.Cluster.TestApp.dll next to the tests: the head loads it, the driver calls its functions.</summary>
    private static string TestAppAssembly { get; } = Path.Combine(AppContext.BaseDirectory, "OrleansRay.Cluster.TestApp.dll");

    /// <summary>The indented lines under a heading of status' output ("Usage:", "Demands:"), trimmed.</summary>
    private static List<string> Section(string output, string heading) =>
        output.Split('\n').Select(l => l.Trim()).SkipWhile(l => l != heading).Skip(1).TakeWhile(l => l.Length > 0)
            .Where(l => !l.StartsWith('(')).ToList();

    /// <summary>The value of a series in Prometheus text whose labels contain <paramref name="label"/> (one node here).</summary>
    private static double Series(string metrics, string name, string label = "")
    {
        var match = System.Text.RegularExpressions.Regex.Match(metrics, "^" + System.Text.RegularExpressions.Regex.Escape(name) + @"\{[^}]*" + System.Text.RegularExpressions.Regex.Escape(label) + @"[^}]*\} (\S+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} {label} is missing from /metrics:\n{metrics}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"http://127\.0\.0\.1:(\d+)(?=\s)")]
    private static partial System.Text.RegularExpressions.Regex DashboardUrl();

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
