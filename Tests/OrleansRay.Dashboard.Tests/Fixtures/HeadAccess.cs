using System.Net.Http.Headers;
using Microsoft.Playwright;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Dashboard.Tests.Fixtures;

/// <summary>How a test gets past a secured head's HTTP port: the token the head wrote to its temp folder, an
/// <see cref="HttpClient"/> sending it as a bearer token, and a browser login through the login page.</summary>
internal static class HeadAccess
{
    /// <summary>How long one HTTP call may take.</summary>
    public static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(15);

    /// <summary>The token of the head started with <paramref name="command"/> (its orleansray_auth_token file).</summary>
    /// <exception cref="FileNotFoundException">No head wrote one (not started, or started with --insecure).</exception>
    public static string Token(OrleansRayCommand command) =>
        File.ReadAllText(Path.Combine(command.TempDirectory, "orleansray_auth_token")).Trim();

    /// <summary>A client that sends <c>Authorization: Bearer <paramref name="token"/></c>; null sends none. Redirects
    /// are not followed, so a test sees a 302 as such.</summary>
    public static HttpClient Client(string? token)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = CallDeadline };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Opens <paramref name="url"/> (a page of the dashboard), which sends the browser to the login page, logs
    /// in with <paramref name="token"/> and waits until the browser is back on <paramref name="url"/>.</summary>
    public static async Task LoginAsync(IPage page, string url, string token)
    {
        await page.GotoAsync(url);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?return="));
        await page.GetByTestId("token").FillAsync(token);
        await page.GetByTestId("login").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Uri(url).AbsoluteUri);
    }
}
