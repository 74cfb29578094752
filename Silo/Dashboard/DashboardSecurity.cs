using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrleansRay.ObjectStore.Security;

namespace OrleansRay.Silo.Dashboard;

/// <summary>Who may use the head's HTTP endpoints: the dashboard, /api, the job API and /metrics need the cluster's
/// token; /healthz stays open for probes. (Placeholder: filled in by the HTTP authentication work.)</summary>
internal static class DashboardSecurity
{
    /// <summary>Registers what <see cref="UseDashboardSecurity"/> needs. <paramref name="credentials"/> null: everything open (<c>--insecure</c>).</summary>
    public static IServiceCollection AddDashboardSecurity(this IServiceCollection services, ClusterCredentials? credentials, bool metricsOpen)
    {
        ArgumentNullException.ThrowIfNull(services);
        _ = credentials;
        _ = metricsOpen;
        return services;
    }

    /// <summary>Adds the token check to the request pipeline (before the endpoints).</summary>
    public static WebApplication UseDashboardSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }

    /// <summary>Maps <c>GET /healthz</c>: 200 while the node runs, open to anyone.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", () => Results.Text("ok"));
        return app;
    }
}
