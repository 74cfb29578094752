using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Dashboard;

/// <summary>Who may use the head's HTTP endpoints: everything (the pages, /api, the job API, /orleans, /metrics, any
/// other path) needs the cluster's token, as a bearer header or the login's cookie (<see cref="ClusterTokenHandler"/>);
/// open to anyone are <c>GET /healthz</c>, the login page (<see cref="DashboardLogin"/>) and, with <c>--metrics-open</c>,
/// <c>/metrics</c>. Without credentials (<c>--insecure</c>) everything is open.</summary>
/// <remarks>ASP.NET Core's authentication and authorization do the work: one scheme, and a fallback policy, which
/// covers every endpoint mapped later (the Orleans dashboard's, the Prometheus exporter's) and unknown paths too,
/// without each having to opt in.</remarks>
internal static class DashboardSecurity
{
    /// <summary>The Prometheus scrape endpoint's path (<c>MapPrometheusScrapingEndpoint</c>'s default).</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Registers what <see cref="UseDashboardSecurity"/> needs. <paramref name="credentials"/> null: everything
    /// open (<c>--insecure</c>); <paramref name="metricsOpen"/>: /metrics needs no token.</summary>
    public static IServiceCollection AddDashboardSecurity(this IServiceCollection services, ClusterCredentials? credentials, bool metricsOpen)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (credentials is null)
        {
            return services;
        }

        services.AddSingleton(new Secured(credentials));
        // AddAuthenticationCore, not AddAuthentication: the latter also registers data protection, whose hosted service
        // makes a key ring under ~/.aspnet at start; the cookie here is derived from the token and needs no keys.
        services.AddAuthenticationCore(o => o.DefaultScheme = ClusterTokenHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services).AddScheme<ClusterTokenOptions, ClusterTokenHandler>(ClusterTokenHandler.SchemeName, o => o.Credentials = credentials);
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder(ClusterTokenHandler.SchemeName)
            .RequireAssertion(c => c.User.Identity?.IsAuthenticated == true
                || (metricsOpen && c.Resource is HttpContext http && http.Request.Path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase)))
            .Build());
        return services;
    }

    /// <summary>Adds the token check to the request pipeline (before the endpoints) and maps the login; does nothing
    /// when <see cref="AddDashboardSecurity"/> was given no credentials.</summary>
    public static WebApplication UseDashboardSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<Secured>() is not { } secured)
        {
            return app;
        }

        app.UseAuthentication();
        app.Use((http, next) =>
        {
            // Tells the pages (through their /api answers) that a logout button makes sense.
            if (http.User.Identity is { IsAuthenticated: true, AuthenticationType: ClusterTokenHandler.CookieAuthentication })
            {
                http.Response.Headers["X-OrleansRay-Session"] = "cookie";
            }

            return next(http);
        });
        app.UseAuthorization();
        app.MapDashboardLogin(secured.Credentials);
        return app;
    }

    /// <summary>Maps <c>GET /healthz</c>, open to anyone: 200 "ok" while the node runs, 503 with the silo's status while
    /// it is not active (starting, stopping).</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", (HttpContext http) =>
        {
            if (http.RequestServices.GetService<IHostApplicationLifetime>() is { ApplicationStopping.IsCancellationRequested: true })
            {
                return Results.Text("stopping", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (http.RequestServices.GetService<ISiloStatusOracle>() is { CurrentStatus: var status } && status != SiloStatus.Active)
            {
                return Results.Text("not active: " + status, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return Results.Text("ok");
        }).AllowAnonymous();
        return app;
    }

    /// <summary>The credentials the head's HTTP port checks; registered only when secured.</summary>
    private sealed record Secured(ClusterCredentials Credentials);
}
