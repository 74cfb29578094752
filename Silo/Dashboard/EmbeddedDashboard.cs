using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.Internal;
using OrleansRay.Silo.Hosting;
using OrleansRay.Node;

namespace OrleansRay.Silo.Dashboard;

/// <summary>Serves OrleansRay's pages, /api and /metrics for an embedded node (<c>Ray.InitAsync()</c>) from a small
/// web host of its own; the head node serves the same endpoints from its silo's host (<see cref="Hosting.NodeHost"/>).</summary>
/// <remarks>Without the Orleans dashboard: that one needs <c>AddDashboard</c> on the silo, which the embedded node's
/// host (in Client) does not call.</remarks>
internal static class EmbeddedDashboard
{
    /// <summary>Starts serving <paramref name="ray"/>'s node at <paramref name="url"/> (e.g. http://127.0.0.1:8265).</summary>
    public static async Task<WebApplication> StartAsync(IRay ray, string url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentException.ThrowIfNullOrEmpty(url);
        var runtime = IRayRuntimeAccess.Of(ray);
        var web = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, Args = [] });
        web.WebHost.UseUrls(url);
        web.Logging.ClearProviders();
        web.Services.AddSingleton(runtime);
        web.Services.AddSingleton(runtime.GrainFactory);
        web.Services.AddSingleton(TimeProvider.System);
        web.Services.AddSingleton(runtime.Events);
        web.Services.AddSingleton<RayInstruments>();
        web.Services.AddSingleton(sp => new NodeInstruments(sp.GetRequiredService<NodeRuntime>()));
        web.Services.AddSingleton<ClusterDetails>();
        web.Services.AddSingleton<DashboardApi>();
        // The embedded node's host does not report to the node table (the CLI's nodes do): report while serving.
        web.Services.AddSingleton<NodeStatusReporter>();
        web.Services.AddHostedService(sp => sp.GetRequiredService<NodeStatusReporter>());
        web.Services.AddOrleansRayMetrics();
        var app = web.Build();
        app.Services.GetRequiredService<RayInstruments>();
        app.Services.GetRequiredService<NodeInstruments>();
        app.MapOrleansRayDashboard(includeOrleansDashboard: false);
        app.MapPrometheusScrapingEndpoint();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return app;
    }
}
