using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Dashboard;

/// <summary>Options of <see cref="ClusterTokenHandler"/>: the cluster whose token it accepts.</summary>
internal sealed class ClusterTokenOptions : AuthenticationSchemeOptions
{
    /// <summary>The cluster's credentials; must be set (the handler throws <see cref="InvalidOperationException"/> without).</summary>
    public ClusterCredentials? Credentials { get; set; }
}

/// <summary>ASP.NET Core authentication of the head's HTTP port: a request is the cluster's when it carries
/// <c>Authorization: Bearer TOKEN</c> (the CLI, curl, scrapers) or the dashboard's session cookie (browsers, after
/// <see cref="DashboardLogin"/>). The challenge sends a browser's page request to the login page and answers anything
/// else 401 with <c>{error}</c> saying how to authenticate (never a redirect: an API client cannot follow one).</summary>
/// <remarks>The cookie's value is <see cref="ClusterCredentials.DeriveSecret"/> of a fixed purpose, not a data-protection
/// ticket: no keys to keep (nothing written under the user's home), it survives a head restart with the same token,
/// and a new token revokes every cookie. A stale cookie is no identity at all (the browser is sent to log in).</remarks>
internal sealed class ClusterTokenHandler(IOptionsMonitor<ClusterTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ClusterTokenOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "OrleansRayToken";

    /// <summary>The authentication type of an identity proven by the cookie (the pages show a logout button for it).</summary>
    public const string CookieAuthentication = "cookie";

    private const string BearerPrefix = "Bearer ";

    /// <summary>The cookie's value for <paramref name="credentials"/>: a secret derived from the token.</summary>
    public static string CookieValue(ClusterCredentials credentials) => credentials.DeriveSecret("orleansray-dashboard-cookie");

    /// <summary>The session cookie's name: one per port, since browsers share cookies between the ports of a host and
    /// two clusters on one machine have different tokens.</summary>
    public static string CookieName(HttpContext http) =>
        "orleansray_session_" + http.Connection.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True for a browser asking for a page (GET/HEAD accepting HTML, not /api or /metrics, no Authorization
    /// header): it is sent to the login page; everything else gets a 401.</summary>
    public static bool IsPageRequest(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && !request.Headers.ContainsKey("Authorization")
        && !request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase)
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credentials = Options.Credentials ?? throw new InvalidOperationException("ClusterTokenOptions.Credentials is not set.");
        var header = Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromResult(AuthenticateResult.Fail("the Authorization header is not 'Bearer TOKEN'"));
            }

            return Task.FromResult(credentials.IsToken(header[BearerPrefix.Length..].Trim())
                ? Success("bearer")
                : AuthenticateResult.Fail("the bearer token is not this cluster's"));
        }

        // The cookie proves a browser session for reads only (the pages GET /api): a write (job submit, stop) needs the
        // bearer header, which another site cannot make a browser send. SameSite=Strict alone does not stop a page
        // served from another port of the same host (the same site) from posting a form with the cookie.
        if ((HttpMethods.IsGet(Request.Method) || HttpMethods.IsHead(Request.Method)) && HasLoginCookie())
        {
            return Task.FromResult(Success(CookieAuthentication));
        }

        return Task.FromResult(AuthenticateResult.NoResult());
    }

    /// <summary>True when the request carries this cluster's login cookie (valid, but not enough for a write).</summary>
    private bool HasLoginCookie() =>
        Options.Credentials is { } credentials && Request.Cookies[CookieName(Context)] is { Length: > 0 } cookie
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(CookieValue(credentials)));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (IsPageRequest(Request))
        {
            Response.Redirect(DashboardLogin.LoginUrl(Request.PathBase + Request.Path + Request.QueryString));
            return;
        }

        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        var problem = result.Failure is { } failure ? failure.Message + ": "
            : HasLoginCookie() ? "the login cookie serves reads (GET) only, and this is a write: " : string.Empty;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        Response.Headers.CacheControl = "no-store";
        var error = new ApiError($"{problem}this endpoint needs the cluster's auth token: send 'Authorization: Bearer TOKEN' (the token `orleansray start --head` printed; on the head's machine it is in the orleansray_auth_token file of its temp folder), give the orleansray command --auth-token or ${ClusterCredentials.TokenVariable}, or log in at /login in a browser.");
        await Response.WriteAsJsonAsync(error, JobApiJson.Options, Context.RequestAborted).ConfigureAwait(false);
    }

    private AuthenticateResult Success(string how) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "cluster")], how)), Scheme.Name));
}
