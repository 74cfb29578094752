using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Dashboard;
using OrleansRay.Node;

namespace OrleansRay.Silo.Dashboard;

/// <summary>Maps the dashboard: OrleansRay's pages at /, /tasks, /actors, /objects, /jobs, their JSON at /api/..., and
/// the Orleans dashboard at /orleans.</summary>
internal static class DashboardEndpoints
{
    /// <summary>Where the Orleans dashboard is served.</summary>
    public const string OrleansDashboardPrefix = "/orleans";

    /// <summary>The pages; each is the same document, which shows the page its path names.</summary>
    public static readonly IReadOnlyList<string> Pages = ["/", "/tasks", "/actors", "/objects", "/jobs"];

    /// <summary>Maps the pages and /api (and /orleans when <paramref name="includeOrleansDashboard"/>: the silo must have
    /// called <c>AddDashboard</c>). Needs <see cref="DashboardApi"/> in the services.</summary>
    public static IEndpointRouteBuilder MapOrleansRayDashboard(this IEndpointRouteBuilder app, bool includeOrleansDashboard = true)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api").AnswerHeadAsGet();
        api.MapGet("/cluster", (DashboardApi source, CancellationToken ct) => source.ClusterAsync(ct));
        api.MapGet("/tasks", (DashboardApi source, CancellationToken ct) => source.TasksAsync(ct));
        api.MapGet("/actors", (DashboardApi source, CancellationToken ct) => source.ActorsAsync(ct));
        api.MapGet("/objects", (DashboardApi source, CancellationToken ct) => source.ObjectsAsync(ct));
        // /api/state/*: the state API (IRay.State, `orleansray list`), guarded like the rest of /api.
        app.MapStateApi();
        // /api/jobs and the rest of the job API (submit, status, logs, stop, working-dir packages): a group of its own.
        app.MapJobApi();
        // Any other /api path or method: one line of JSON saying what exists, as /api's other errors are, not an empty 404
        // (a wrong method on a known path lands here too; the fallback is tried after every other endpoint).
        app.MapFallback("/api/{**path}", (HttpContext http) => Results.Json(
            new { error = $"no API at {http.Request.Method} {http.Request.Path}: the dashboard's API is GET /api/cluster, /api/tasks, /api/actors, /api/objects, /api/jobs, /api/state/* and /api/timeline (README, \"Dashboard\"); submitting or stopping a job is POST /api/jobs, /api/jobs/ID/stop." },
            statusCode: StatusCodes.Status404NotFound));

        foreach (var page in Pages)
        {
            app.MapGet(page, () => Asset("index.html", "text/html; charset=utf-8"));
        }

        app.MapGet("/static/app.js", () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/static/app.css", () => Asset("app.css", "text/css; charset=utf-8"));
        if (includeOrleansDashboard)
        {
            app.MapOrleansDashboard(OrleansDashboardPrefix);
        }

        return app;
    }

    /// <summary>Makes every GET endpoint of <paramref name="group"/> answer HEAD too, as GET without the body (HTTP's HEAD;
    /// Kestrel sends the headers and drops what the handler writes). Without it a HEAD of a known /api path fell through
    /// to the fallback's 404.</summary>
    public static RouteGroupBuilder AnswerHeadAsGet(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        // Finally: after the endpoint's own conventions, which add its methods. Routing reads the last method metadata.
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault() is { } methods
                && methods.HttpMethods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase)
                && !methods.HttpMethods.Contains(HttpMethods.Head, StringComparer.OrdinalIgnoreCase))
            {
                endpoint.Metadata.Add(new HttpMethodMetadata([.. methods.HttpMethods, HttpMethods.Head], methods.AcceptCorsPreflight));
            }
        });
        return group;
    }

    /// <summary>Exports the OrleansRay meter with OpenTelemetry to the Prometheus scrape endpoint
    /// (<c>MapPrometheusScrapingEndpoint</c> serves it at /metrics).</summary>
    public static IServiceCollection AddOrleansRayMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Named as Prometheus shows it (service_name="orleansray"), not OpenTelemetry's "unknown_service:<process>".
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("orleansray")).WithMetrics(metrics => metrics
            .AddMeter(RayInstruments.MeterName)
            // The object store's own instruments (an embedded node's store runs in its process) and, on a CLI node, the
            // same series read from its store process (NodeInstruments).
            .AddMeter(NodeInstruments.StoreMeterName)
            // Every scrape reads the counters afresh: the observable instruments are a handful of field reads, and a
            // cached response would show a count that already moved (the exporter caches for 300 ms by default).
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    private static IResult Asset(string name, string contentType)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("OrleansRay.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded.");
        return Results.Stream(stream, contentType);
    }
}
