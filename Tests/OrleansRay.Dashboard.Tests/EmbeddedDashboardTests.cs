using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrleansRay.Dashboard.Tests.Fixtures;
using OrleansRay.Grains;
using OrleansRay.Silo.Dashboard;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Dashboard.Tests;

/// <summary>Tasks run by an embedded node (<c>Ray.InitAsync()</c>) move its /metrics series and its pages, served by
/// <see cref="EmbeddedDashboard"/> (a CLI head with a connected driver: <see cref="HeadDashboardTests"/>).</summary>
public sealed partial class EmbeddedDashboardTests : IClassFixture<Browser>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly Browser _browser;

    public EmbeddedDashboardTests(Browser browser)
    {
        _browser = browser;
    }

    [Fact]
    public async Task Metrics_and_the_tasks_page_count_tasks_as_they_run()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(url + "/tasks");
        await Assertions.Expect(page.GetByTestId("finished")).ToContainTextAsync("0", new() { Timeout = 30_000 });
        Assert.Equal(0, Series(await Http.GetStringAsync(url + "/metrics"), "orleansray_scheduler_tasks_finished_total"));

        var refs = Enumerable.Range(0, 20).Select(i => ray.Task(Square, i).Remote()).ToArray();
        var squares = await ray.GetAsync(refs);
        var failing = ray.Task(Fail, 1).Remote();
        await Assert.ThrowsAnyAsync<RayException>(async () => await ray.GetAsync(failing));

        Assert.Equal(361, squares[19]);
        var metrics = await Http.GetStringAsync(url + "/metrics");
        // The series name their service (OpenTelemetry's service.name), not OpenTelemetry's "unknown_service:<process>".
        Assert.DoesNotContain("unknown_service", metrics, StringComparison.Ordinal);
        Assert.Contains("service_name=\"orleansray\"", metrics, StringComparison.Ordinal);
        Assert.Equal(21, Series(metrics, "orleansray_scheduler_tasks_submitted_total"));
        Assert.Equal(20, Series(metrics, "orleansray_scheduler_tasks_finished_total"));
        Assert.Equal(1, Series(metrics, "orleansray_scheduler_tasks_failed_total"));
        Assert.Equal(0, Series(metrics, "orleansray_scheduler_tasks_queued"));
        // The page polls every second: the counts change without a reload.
        await Assertions.Expect(page.GetByTestId("submitted")).ToContainTextAsync("21");
        await Assertions.Expect(page.GetByTestId("finished")).ToContainTextAsync("20");
        await Assertions.Expect(page.GetByTestId("failed")).ToContainTextAsync("1");
        await Browser.ScreenshotAsync(page, "tasks-after-workload");
    }

    [Fact]
    public async Task Cluster_page_shows_usage_and_demands_change_while_tasks_hold_cpus()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(url);
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/2.0 CPU", new() { Timeout = 30_000 });
        using var gate = new SemaphoreSlim(0);
        Gate = gate;

        var holding = ray.Task(Hold, 1).Options(new TaskOptions { NumCpus = 2 }).Remote();
        var queued = ray.Task(Hold, 2).Options(new TaskOptions { NumCpus = 2 }).Remote();
        var infeasible = ray.Task(Square, 3).Options(new TaskOptions { NumCpus = 64 }).Remote();

        // Reported within a second, polled every second: no reload.
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("2.0/2.0 CPU", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("demands")).ToContainTextAsync("{\"CPU\": 2.0}");
        await Assertions.Expect(page.GetByTestId("demands")).ToContainTextAsync("{\"CPU\": 64.0}");
        await Assertions.Expect(page.GetByTestId("demands")).ToContainTextAsync("infeasible");
        await Browser.ScreenshotAsync(page, "cluster-busy");

        gate.Release(2);
        Assert.Equal(new[] { 1, 2 }, await ray.GetAsync(new[] { holding, queued }));
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/2.0 CPU", new() { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "cluster-idle-again");
        GC.KeepAlive(infeasible);
    }

    [Fact]
    public async Task Cluster_page_shows_each_nodes_actors_primary_objects_and_running_tasks_and_the_autoscalers_last_round_once_reported()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(url);
        await Assertions.Expect(page.GetByTestId("node-actors")).ToHaveTextAsync("0", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("node-running-tasks")).ToHaveTextAsync("0");

        // No autoscaler runs: /api/cluster says so, and the page has no autoscaler sections.
        using (var idle = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/cluster")))
        {
            Assert.Equal(JsonValueKind.Null, idle.RootElement.GetProperty("autoscaler").ValueKind);
        }

        Assert.Equal(0, await page.GetByTestId("autoscaler-pending").CountAsync());

        // A 0-CPU actor, a large put and a running 0-CPU task: no resource shows them, the node's counts do.
        using var gate = new SemaphoreSlim(0);
        Gate = gate;
        var actor = ray.Actor(() => new Idler()).Options(new ActorOptions { NumCpus = 0 }).Remote();
        Assert.Equal(1, await actor.Task(a => a.Ping()).Remote());
        var put = await ray.PutAsync(new double[200_000]);
        var running = ray.Task(Hold, 7).Options(new TaskOptions { NumCpus = 0 }).Remote();
        await Assertions.Expect(page.GetByTestId("node-actors")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("node-primary-objects")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("node-running-tasks")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/2.0 CPU");

        // The autoscaler loop reports its round to the head's grain: /api/cluster carries it, the page shows Ray's sections.
        var at = DateTimeOffset.UtcNow;
        await ray.GrainFactory.GetGrain<IAutoscalerGrain>(0).ReportAsync(new AutoscalerStatus(
            at,
            "demo",
            [new AutoscalerNodeInfo("pid-41", "worker-2cpu", null, at, null)],
            [new AutoscalerNodeInfo("pid-40", "accel-node", null, at.AddSeconds(-5), "exited with code 2 before joining: unknown option --bad")],
            ["launch 1 x worker-2cpu: 6 pending {\"CPU\": 1.0} tasks"]));
        using (var reported = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/cluster")))
        {
            var autoscaler = reported.RootElement.GetProperty("autoscaler");
            Assert.Equal("demo", autoscaler.GetProperty("clusterName").GetString());
            Assert.Equal("worker-2cpu", Assert.Single(autoscaler.GetProperty("pending").EnumerateArray().ToList()).GetProperty("nodeType").GetString());
            var failure = Assert.Single(autoscaler.GetProperty("recentFailures").EnumerateArray().ToList());
            Assert.Equal(("accel-node", "exited with code 2 before joining: unknown option --bad"), (failure.GetProperty("nodeType").GetString(), failure.GetProperty("failureReason").GetString()));
            Assert.Equal("launch 1 x worker-2cpu: 6 pending {\"CPU\": 1.0} tasks", Assert.Single(autoscaler.GetProperty("recentDecisions").EnumerateArray().ToList()).GetString());
            var node = Assert.Single(reported.RootElement.GetProperty("nodes").EnumerateArray().ToList());
            Assert.Equal((1, 1, 1), (node.GetProperty("actorCount").GetInt32(), node.GetProperty("primaryObjectCount").GetInt32(), node.GetProperty("runningTaskCount").GetInt32()));
        }

        await Assertions.Expect(page.GetByTestId("autoscaler")).ToContainTextAsync("cluster demo");
        await Assertions.Expect(page.GetByTestId("autoscaler-pending")).ToContainTextAsync("worker-2cpu");
        await Assertions.Expect(page.GetByTestId("autoscaler-pending")).ToContainTextAsync("pid-41");
        await Assertions.Expect(page.GetByTestId("autoscaler-failures")).ToContainTextAsync("accel-node");
        await Assertions.Expect(page.GetByTestId("autoscaler-failures")).ToContainTextAsync("unknown option --bad");
        await Assertions.Expect(page.GetByTestId("autoscaler-decisions")).ToContainTextAsync("launch 1 x worker-2cpu");
        await Browser.ScreenshotAsync(page, "cluster-autoscaler");

        // Work done, actor killed, object freed: the counts go back to 0.
        gate.Release();
        Assert.Equal(7, await running);
        await ray.KillAsync(actor);
        put.Dispose();
        await Assertions.Expect(page.GetByTestId("node-actors")).ToHaveTextAsync("0", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("node-primary-objects")).ToHaveTextAsync("0");
        await Assertions.Expect(page.GetByTestId("node-running-tasks")).ToHaveTextAsync("0");
    }

    /// <summary>An actor that holds nothing (0 CPUs).</summary>
    public sealed class Idler
    {
        public int Ping() => 1;
    }

    /// <summary>Released by the test running the tasks (tasks are static functions: they cannot capture the gate).</summary>
    private static SemaphoreSlim? Gate { get; set; }

    private static int Hold(int x)
    {
        // Blocking is what user code does; tasks run on the node's dedicated worker threads.
        Gate!.Wait(TimeSpan.FromSeconds(60));
        return x;
    }

    private static int Square(int x) => x * x;

    private static int Fail(int x) => throw new InvalidOperationException($"task {x} fails on purpose");

    /// <summary>The value of a series in Prometheus text (one node in this process).</summary>
    private static double Series(string metrics, string name)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(name) + @"\{[^}]*\} (\S+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} is missing from /metrics:\n{metrics}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
