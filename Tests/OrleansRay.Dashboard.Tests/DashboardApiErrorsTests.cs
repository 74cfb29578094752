using System.Globalization;
using System.Net;
using System.Text.Json;
using OrleansRay.Silo.Dashboard;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Dashboard.Tests;

/// <summary>A request for an /api path or method that does not exist answers as /api's other errors do (README,
/// "Dashboard"): JSON <c>{ error }</c> on one line naming what exists, not an empty 404 or 405.</summary>
public sealed class DashboardApiErrorsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    [Theory]
    [InlineData("GET", "/api/nope")]
    [InlineData("GET", "/api/cluster/extra")]
    [InlineData("POST", "/api/cluster")]
    public async Task An_unknown_api_request_answers_one_line_of_json(string method, string path)
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);

        using var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), url + path));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.DoesNotContain('\n', error);
        Assert.Contains($"{method} {path}", error, StringComparison.Ordinal);
        Assert.Contains("GET /api/cluster", error, StringComparison.Ordinal);

        // The known endpoints still answer.
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(url + "/api/cluster")).StatusCode);
    }

    [Fact]
    public async Task Head_of_an_api_path_answers_as_get_without_a_body()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, ObjectStoreMemory = 64L << 20 });
        var url = "http://127.0.0.1:" + TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        await using var dashboard = await EmbeddedDashboard.StartAsync(ray, url);

        // One path of each of /api's three groups: the dashboard's own, the job API's, the state API's.
        foreach (var path in new[] { "/api/cluster", "/api/jobs", "/api/state/nodes", "/api/state/summary/tasks" })
        {
            using var get = await Http.GetAsync(url + path);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            using var head = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url + path));
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {path} answered {(int)head.StatusCode}");
            Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }

        // HEAD of a path that does not exist is still a 404, without the error's body.
        using var missing = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url + "/api/nope"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Empty(await missing.Content.ReadAsByteArrayAsync());
    }
}
