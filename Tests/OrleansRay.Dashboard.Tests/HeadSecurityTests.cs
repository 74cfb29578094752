using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrleansRay.Dashboard.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Dashboard.Tests;

/// <summary>The head's HTTP port is secure by default (issue 13): the pages, /api, the job API and /orleans need the
/// cluster's token (bearer header or the login's cookie), /healthz does not, /metrics only without --metrics-open;
/// an --insecure head is open.</summary>
public sealed class HeadSecurityTests : IClassFixture<Browser>, IClassFixture<SecuredHead>
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);

    private readonly Browser _browser;
    private readonly SecuredHead _head;

    public HeadSecurityTests(Browser browser, SecuredHead head)
    {
        _browser = browser;
        _head = head;
    }

    [Fact]
    public async Task Api_and_orleans_need_the_token_healthz_does_not_and_metrics_open_opens_only_metrics()
    {
        using var anonymous = HeadAccess.Client(null);
        using var bearer = HeadAccess.Client(_head.Token);
        using var wrong = HeadAccess.Client("not-the-token-" + Guid.NewGuid().ToString("N"));

        using var none = await anonymous.GetAsync(new Uri(_head.Url + "/api/cluster"));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("Authorization: Bearer", await ErrorOf(none), StringComparison.Ordinal);
        using var refused = await wrong.GetAsync(new Uri(_head.Url + "/api/cluster"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("not this cluster's", await ErrorOf(refused), StringComparison.Ordinal);
        using var cluster = await bearer.GetAsync(new Uri(_head.Url + "/api/cluster"));
        Assert.Equal(HttpStatusCode.OK, cluster.StatusCode);
        using (var document = JsonDocument.Parse(await cluster.Content.ReadAsStringAsync()))
        {
            Assert.Equal(1, document.RootElement.GetProperty("aliveCount").GetInt32());
        }

        // The job API (a submit without the token runs nothing) and the Orleans dashboard are behind the token too.
        using var submit = await anonymous.PostAsync(new Uri(_head.Url + "/api/jobs"), new StringContent("{\"entrypoint\": [\"true\"]}"));
        Assert.Equal(HttpStatusCode.Unauthorized, submit.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri(_head.Url + "/orleans/"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync(new Uri(_head.Url + "/orleans/"))).StatusCode);

        using var health = await anonymous.GetAsync(new Uri(_head.Url + "/healthz"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", await health.Content.ReadAsStringAsync());
        // --metrics-open: the scrape endpoint alone needs no token (a default head answers 401: HeadDashboardTests).
        using var metrics = await anonymous.GetAsync(new Uri(_head.Url + "/metrics"));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("orleansray_", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_browsers_page_request_goes_to_the_login_which_returns_only_to_local_paths()
    {
        using var anonymous = HeadAccess.Client(null);
        using var pageRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(_head.Url + "/tasks?x=1"));
        pageRequest.Headers.Accept.ParseAdd("text/html");

        using var redirected = await anonymous.SendAsync(pageRequest);

        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.Equal("/login?return=%2Ftasks%3Fx%3D1", redirected.Headers.Location?.OriginalString);
        foreach (var (returnTo, expected) in new[] { ("/jobs", "/jobs"), ("//evil.example/x", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/") })
        {
            using var login = await anonymous.PostAsync(new Uri(_head.Url + "/login"), new FormUrlEncodedContent([new("token", _head.Token), new("return", returnTo)]));
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            Assert.Equal(expected, login.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task The_login_cookie_reads_the_api_but_cannot_submit_or_stop_jobs_so_another_site_cannot_forge_a_write()
    {
        using var anonymous = HeadAccess.Client(null);
        using var login = await anonymous.PostAsync(new Uri(_head.Url + "/login"), new FormUrlEncodedContent([new("token", _head.Token), new("return", "/")]));
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie")).Split(';')[0];

        using var read = new HttpRequestMessage(HttpMethod.Get, new Uri(_head.Url + "/api/cluster"));
        read.Headers.Add("Cookie", cookie);
        using var readAnswer = await anonymous.SendAsync(read);
        Assert.Equal(HttpStatusCode.OK, readAnswer.StatusCode);

        // What a page on another port of this host could make a browser send: a form post carrying the cookie.
        using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(_head.Url + "/api/jobs"))
        {
            Content = new StringContent("{\"entrypoint\": [\"sh\", \"-c\", \"id\"]}", System.Text.Encoding.UTF8, "text/plain"),
        };
        forged.Headers.Add("Cookie", cookie);
        forged.Headers.Add("Origin", "http://127.0.0.1:9");
        using var forgedAnswer = await anonymous.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);

        using var stop = new HttpRequestMessage(HttpMethod.Post, new Uri(_head.Url + "/api/jobs/any/stop"));
        stop.Headers.Add("Cookie", cookie);
        using var stopAnswer = await anonymous.SendAsync(stop);
        Assert.Equal(HttpStatusCode.Unauthorized, stopAnswer.StatusCode);
        // The refusal says why a logged-in browser's write is refused, not only to log in (it already has).
        Assert.Contains("the login cookie serves reads (GET) only, and this is a write", await stopAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_browser_logs_in_with_the_token_gets_an_HttpOnly_SameSite_Strict_cookie_and_a_wrong_token_shows_the_error()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(_head.Url);
        await Assertions.Expect(page).ToHaveURLAsync(_head.Url + "/login?return=%2F");

        await page.GetByTestId("token").FillAsync("not-the-token-" + Guid.NewGuid().ToString("N"));
        var answer = await page.RunAndWaitForResponseAsync(() => page.GetByTestId("login").ClickAsync(), r => r.Url.EndsWith("/login", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal(401, answer.Status);
        await Assertions.Expect(page.GetByTestId("login-error")).ToContainTextAsync("not this cluster's auth token");
        Assert.Empty(await page.Context.CookiesAsync());
        await Browser.ScreenshotAsync(page, "login-wrong-token");

        await page.GetByTestId("token").FillAsync(_head.Token);
        await page.GetByTestId("login").ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(_head.Url + "/");
        await Assertions.Expect(page.GetByTestId("nodes")).ToContainTextAsync("ALIVE", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("usage")).ToContainTextAsync("0.0/1.0 CPU");
        await Assertions.Expect(page.GetByTestId("logout")).ToBeVisibleAsync();
        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.StartsWith("orleansray_session_", cookie.Name, StringComparison.Ordinal);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.False(cookie.Secure);
        Assert.DoesNotContain(_head.Token, cookie.Value, StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "login-done");

        // Without the cookie the page's next poll gets a 401 and sends the browser to the login.
        await page.Context.ClearCookiesAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login\\?return=%2F$"), new() { Timeout = 30_000 });

        await page.GetByTestId("token").FillAsync(_head.Token);
        await page.GetByTestId("login").ClickAsync();
        await page.GetByTestId("logout").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(_head.Url + "/login");
        Assert.Empty(await page.Context.CookiesAsync());
    }

    [Fact]
    public async Task Job_list_without_a_token_is_one_line_naming_auth_token_and_works_with_it()
    {
        // A command line on another machine: a temp folder without the head's token file, no token in the environment.
        var folder = Path.Combine(Path.GetTempPath(), "ordcli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            var environment = new Dictionary<string, string> { ["ORLEANSRAY_TEMP_DIR"] = folder, ["ORLEANSRAY_AUTH_TOKEN"] = string.Empty };

            var refused = await ProcessRunner.RunAsync(DotNet, [OrleansRayCommand.CommandAssembly, "job", "list", "--address", _head.Url], CommandDeadline, environment);
            var listed = await ProcessRunner.RunAsync(DotNet, [OrleansRayCommand.CommandAssembly, "job", "list", "--address", _head.Url, "--auth-token", _head.Token], CommandDeadline, environment);

            Assert.NotEqual(0, refused.ExitCode);
            var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"the head at {_head.Url} refused the request: it needs the cluster's auth token", line, StringComparison.Ordinal);
            Assert.Contains("--auth-token", line, StringComparison.Ordinal);
            Assert.True(listed.ExitCode == 0, listed.ToString());
            Assert.Contains("No jobs yet", listed.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_insecure_head_serves_everything_without_a_token()
    {
        using var command = new OrleansRayCommand("ordins-");
        var dashboardPort = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        var start = await command.RunAsync("start", "--head", "--port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--num-cpus", "1", "--dashboard-port", dashboardPort, "--insecure");
        Assert.True(start.ExitCode == 0, start.ToString());
        var url = "http://127.0.0.1:" + dashboardPort;
        using var anonymous = HeadAccess.Client(null);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(url + "/api/cluster"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(url + "/api/jobs"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(url + "/metrics"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(url + "/healthz"))).StatusCode);
        Assert.False(File.Exists(Path.Combine(command.TempDirectory, "orleansray_auth_token")));
    }

    private static string DotNet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetString() ?? string.Empty;
    }
}
