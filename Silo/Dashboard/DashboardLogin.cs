using System.Reflection;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The dashboard's login for browsers: <c>GET /login?return=/path</c> shows a form for the cluster's token,
/// <c>POST /login</c> checks it and sets the session cookie (HttpOnly, SameSite=Strict, Path=/, Secure on https), then
/// redirects to the local path it came from; <c>POST /logout</c> removes the cookie. All open to anyone.</summary>
/// <remarks>A wrong token answers the form again with an error and 401, at once: the generated token has 256 bits (no
/// rate of guessing finds it), and a delay would not slow an attacker sending many requests at once.</remarks>
internal static class DashboardLogin
{
    /// <summary>The login page's path.</summary>
    public const string LoginPath = "/login";

    /// <summary>The largest login form read: a token and a path.</summary>
    private const int MaxFormBytes = 16 * 1024;

    /// <summary>The login page's URL that returns to <paramref name="returnTo"/> (a local path) after the login.</summary>
    public static string LoginUrl(string returnTo) => LoginPath + "?return=" + Uri.EscapeDataString(returnTo);

    /// <summary>Maps the login and logout endpoints, allowed without the token.</summary>
    public static IEndpointRouteBuilder MapDashboardLogin(this IEndpointRouteBuilder app, ClusterCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(credentials);
        var cookieValue = ClusterTokenHandler.CookieValue(credentials);
        app.MapGet(LoginPath, (HttpContext http) => Page(http.Request.Query["return"].ToString(), error: null, StatusCodes.Status200OK))
            .AllowAnonymous();
        app.MapPost(LoginPath, async (HttpContext http) =>
        {
            if (!http.Request.HasFormContentType || http.Request.ContentLength is null or > MaxFormBytes)
            {
                return Results.Text("POST the login form (application/x-www-form-urlencoded, under 16 KiB).", statusCode: StatusCodes.Status400BadRequest);
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
            var returnTo = form["return"].ToString();
            if (!credentials.IsToken(form["token"].ToString().Trim()))
            {
                return Page(returnTo, "That is not this cluster's auth token.", StatusCodes.Status401Unauthorized);
            }

            http.Response.Cookies.Append(ClusterTokenHandler.CookieName(http), cookieValue, CookieOptions(http));
            return Results.Redirect(LocalPath(returnTo));
        }).AllowAnonymous();
        app.MapPost("/logout", (HttpContext http) =>
        {
            http.Response.Cookies.Delete(ClusterTokenHandler.CookieName(http), CookieOptions(http));
            return Results.Redirect(LoginPath);
        }).AllowAnonymous();
        // The login page's style: the dashboard's own sheet, which is behind the login at /static/app.css.
        app.MapGet("/login/app.css", () => Results.Stream(Asset("app.css"), "text/css; charset=utf-8")).AllowAnonymous();
        return app;
    }

    /// <summary><paramref name="returnTo"/> when it is a path on this server ("/tasks?x=1"), else "/": never another site
    /// ("//evil.example", "/\evil.example", "https://...").</summary>
    public static string LocalPath(string? returnTo) =>
        returnTo is { Length: > 0 } path && path[0] == '/'
            && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'))
            && !path.Any(char.IsControl)
            ? path
            : "/";

    private static CookieOptions CookieOptions(HttpContext http) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Secure = http.Request.IsHttps,
        IsEssential = true,
    };

    private static IResult Page(string returnTo, string? error, int status)
    {
        using var reader = new StreamReader(Asset("login.html"));
        var html = reader.ReadToEnd()
            .Replace("{{return}}", HtmlEncoder.Default.Encode(LocalPath(returnTo)), StringComparison.Ordinal)
            .Replace("{{error}}", HtmlEncoder.Default.Encode(error ?? string.Empty), StringComparison.Ordinal);
        return new LoginPage(html, status);
    }

    private static Stream Asset(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("OrleansRay.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded.");

    /// <summary>The login page, never cached.</summary>
    private sealed class LoginPage(string html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = "no-store";
            return Results.Text(html, "text/html; charset=utf-8", statusCode: status).ExecuteAsync(httpContext);
        }
    }
}
