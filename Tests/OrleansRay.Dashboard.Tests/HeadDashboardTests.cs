using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Playwright;
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
    public async Task Cluster_page_shows_the_head_and_a_worker_joining_and_agrees_with_status()
    {
        var port = Text(TestPorts.Free());
        var dashboardPort = TestPorts.Free();
        var url = $"http://127.0.0.1:{Text(dashboardPort)}";

        var start = await _command.RunAsync("start", "--head", "--port", port, "--num-cpus", "3", "--resources", "{\"accel\": 2}", "--dashboard-port", Text(dashboardPort));

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains(url, start.Output, StringComparison.Ordinal);
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(url);
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

        var status = await _command.RunAsync("status");
        using var cluster = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/cluster"));

        Assert.True(status.ExitCode == 0, status.ToString());
        var alive = cluster.RootElement.GetProperty("aliveCount").GetInt32();
        Assert.Equal(2, alive);
        Assert.Contains($"Active: {Text(alive)} node(s)    Dead: {Text(cluster.RootElement.GetProperty("deadCount").GetInt32())} node(s)", status.Output, StringComparison.Ordinal);
        var usageLines = status.Output.Split('\n').Select(l => l.Trim()).SkipWhile(l => l != "Usage:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
        var apiUsage = cluster.RootElement.GetProperty("total").EnumerateArray().Select(u => u.GetProperty("text").GetString()!).ToList();
        Assert.Equal(apiUsage, usageLines);
        foreach (var node in cluster.RootElement.GetProperty("nodes").EnumerateArray())
        {
            Assert.Contains(node.GetProperty("nodeId").GetString()!, status.Output, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(url + "/orleans/")).StatusCode);
        var metrics = await Http.GetStringAsync(url + "/metrics");
        Assert.Contains("orleansray_scheduler_tasks_submitted_total", metrics, StringComparison.Ordinal);
        Assert.Contains("orleansray_scheduler_tasks_queued", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_page_renders_from_its_api()
    {
        var dashboardPort = TestPorts.Free();
        var url = $"http://127.0.0.1:{Text(dashboardPort)}";
        var start = await _command.RunAsync("start", "--head", "--port", Text(TestPorts.Free()), "--num-cpus", "2", "--dashboard-port", Text(dashboardPort));
        Assert.True(start.ExitCode == 0, start.ToString());
        var page = await _browser.NewPageAsync();

        foreach (var (path, text) in new[] { ("/tasks", "submitted"), ("/actors", "actor activations"), ("/objects", "Owned objects"), ("/jobs", "No job table yet") })
        {
            await page.GotoAsync(url + path);
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync(text, new() { Timeout = 30_000 });
            await Browser.ScreenshotAsync(page, "page" + path.Replace('/', '-'));
        }
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
            using var cluster = JsonDocument.Parse(await Http.GetStringAsync(url.Value + "/api/cluster"));
            Assert.True(cluster.RootElement.TryGetProperty("nodes", out _));
        }
    }

    public void Dispose() => _command.Dispose();

    [System.Text.RegularExpressions.GeneratedRegex(@"http://127\.0\.0\.1:(\d+)(?=\s)")]
    private static partial System.Text.RegularExpressions.Regex DashboardUrl();

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
