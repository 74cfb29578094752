using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrleansRay.Dashboard.Tests.Fixtures;
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
