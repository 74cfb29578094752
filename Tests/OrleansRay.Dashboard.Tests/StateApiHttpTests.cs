using System.Globalization;
using System.Net;
using System.Text.Json;
using OrleansRay.Silo.Dashboard;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Dashboard.Tests;

/// <summary>Issue 15: the dashboard's /api/state/* serves the state API's data (what <c>IRay.State</c> and
/// <c>orleansray list</c> return).</summary>
public sealed class StateApiHttpTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    public static int Square(int x) => x * x;

    public static int Refuse(int x) => throw new InvalidOperationException($"refused {x}");

    [Fact]
    public async Task Api_state_lists_failed_tasks_summarizes_and_refuses_a_bad_filter()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);
        Assert.Equal(new[] { 0, 1, 4 }, await ray.GetAsync(Enumerable.Range(0, 3).Select(i => ray.Task(Square, i).Remote())));
        var failing = ray.Task(Refuse, 7).Options(new TaskOptions { MaxRetries = 0 }).Remote();
        await Assert.ThrowsAnyAsync<RayException>(async () => await failing);

        using var failed = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/state/tasks?filter=state%3DFAILED"));
        var rows = failed.RootElement.GetProperty("rows").EnumerateArray().ToList();
        var row = Assert.Single(rows);
        Assert.Equal("FAILED", row.GetProperty("state").GetString());
        Assert.Equal(typeof(InvalidOperationException).FullName, row.GetProperty("errorType").GetString());
        Assert.Equal("refused 7", row.GetProperty("errorMessage").GetString());
        Assert.Equal(1, failed.RootElement.GetProperty("total").GetInt32());

        using var summary = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/state/summary/tasks"));
        Assert.Contains(summary.RootElement.GetProperty("rows").EnumerateArray(), r =>
            r.GetProperty("key").GetString()!.EndsWith("Square", StringComparison.Ordinal) && r.GetProperty("state").GetString() == "FINISHED" && r.GetProperty("count").GetInt64() == 3);

        using var nodes = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/state/nodes"));
        Assert.Single(nodes.RootElement.GetProperty("rows").EnumerateArray());

        var bad = await Http.GetAsync(url + "/api/state/tasks?filter=colour%3Dred");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("valid keys", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unknown = await Http.GetAsync(url + "/api/state/widgets");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("placement-groups", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_timeline_downloads_the_finished_tasks_as_a_chrome_trace_and_refuses_a_bad_filter()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);
        Assert.Equal(new[] { 0, 1, 4 }, await ray.GetAsync(Enumerable.Range(0, 3).Select(i => ray.Task(Square, i).Remote())));
        await Assert.ThrowsAnyAsync<RayException>(async () => await ray.Task(Refuse, 9).Options(new TaskOptions { MaxRetries = 0 }).Remote());

        using var response = await Http.GetAsync(url + "/api/timeline");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.StartsWith("orleansray-timeline-", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        using var trace = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tasks = trace.RootElement.EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        Assert.Equal(4, tasks.Count);
        Assert.Equal(3, tasks.Count(e => e.GetProperty("name").GetString()!.EndsWith("Square", StringComparison.Ordinal)));
        var refused = Assert.Single(tasks, e => e.GetProperty("args").TryGetProperty("error", out _));
        Assert.Equal($"{typeof(InvalidOperationException).FullName}: refused 9", refused.GetProperty("args").GetProperty("error").GetString());

        using var one = JsonDocument.Parse(await Http.GetStringAsync(url + "/api/timeline?filter=state%3DFAILED"));
        Assert.Single(one.RootElement.EnumerateArray(), e => e.GetProperty("ph").GetString() == "X");

        var bad = await Http.GetAsync(url + "/api/timeline?filter=colour%3Dred");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("valid keys", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var badLimit = await Http.GetAsync(url + "/api/timeline?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Contains("limit '0' is not a whole number 1 to 10000 (the timeline's default and most)", await badLimit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
