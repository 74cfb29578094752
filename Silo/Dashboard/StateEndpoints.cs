using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansRay.Node;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The state API over HTTP, under the dashboard's token guard like the rest of /api: the data of
/// <c>IRay.State</c> and of <c>orleansray list|get|summary|memory</c>.</summary>
/// <remarks>
/// <c>GET /api/state/{nodes|jobs|actors|tasks|objects|placement-groups}?filter=state%3DFAILED&amp;limit=100</c> (filter
/// repeatable) returns <c>{rows, total, truncated, warnings}</c>; <c>GET /api/state/actors/{id}</c> one actor (404 when
/// unknown); <c>GET /api/state/summary/{tasks|actors|objects}</c> <c>{rows, warnings}</c>; <c>GET /api/state/memory</c>
/// the memory report; <c>GET /api/timeline?filter=job_id%3D…&amp;limit=10000</c> the finished tasks as a Chrome trace file
/// (Ray's <c>ray timeline</c>; default and most 10,000 tasks). Bad input is a 400 with <c>{error}</c> naming the valid choices.
/// </remarks>
internal static class StateEndpoints
{
    private static readonly Dictionary<string, StateResource> Resources = new(StringComparer.OrdinalIgnoreCase)
    {
        ["nodes"] = StateResource.Nodes,
        ["jobs"] = StateResource.Jobs,
        ["actors"] = StateResource.Actors,
        ["tasks"] = StateResource.Tasks,
        ["objects"] = StateResource.Objects,
        ["placement-groups"] = StateResource.PlacementGroups,
    };

    public static IEndpointRouteBuilder MapStateApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/state").AnswerHeadAsGet();
        api.MapGet("/summary/{resource}", async (string resource, HttpRequest request, IGrainFactory grains, NodeRuntime runtime, CancellationToken ct) =>
        {
            try
            {
                var kind = Resource(resource);
                var (rows, warnings) = await new ClusterState(grains, runtime).SummarizeAsync(kind, Filters(request), ct).ConfigureAwait(false);
                return Results.Ok(new StateSummary(rows, warnings));
            }
            catch (ArgumentException ex)
            {
                return BadRequest(ex);
            }
        });
        api.MapGet("/memory", async (HttpRequest request, IGrainFactory grains, NodeRuntime runtime, CancellationToken ct) =>
        {
            try
            {
                return Results.Ok(await new ClusterState(grains, runtime).MemoryAsync(Filters(request), Limit(request), ct).ConfigureAwait(false));
            }
            catch (ArgumentException ex)
            {
                return BadRequest(ex);
            }
        });
        api.MapGet("/actors/{id}", async (string id, IGrainFactory grains, NodeRuntime runtime, CancellationToken ct) =>
        {
            var found = await new ClusterState(grains, runtime).ActorsAsync([new StateFilter("actor_id", StatePredicate.Equal, id)], 1, ct).ConfigureAwait(false);
            return found.Rows.Count > 0 ? Results.Ok(found.Rows[0]) : Results.NotFound(new { error = $"no actor with id '{id}'" });
        });
        api.MapGet("/{resource}", async (string resource, HttpRequest request, IGrainFactory grains, NodeRuntime runtime, CancellationToken ct) =>
        {
            try
            {
                var state = new ClusterState(grains, runtime);
                var filters = Filters(request);
                var limit = Limit(request);
                return Resource(resource) switch
                {
                    StateResource.Nodes => Page(await state.NodesAsync(filters, limit, ct).ConfigureAwait(false)),
                    StateResource.Jobs => Page(await state.JobsAsync(filters, limit, ct).ConfigureAwait(false)),
                    StateResource.Actors => Page(await state.ActorsAsync(filters, limit, ct).ConfigureAwait(false)),
                    StateResource.Tasks => Page(await state.TasksAsync(filters, limit, ct).ConfigureAwait(false)),
                    StateResource.Objects => Page(await state.ObjectsAsync(filters, limit, ct).ConfigureAwait(false)),
                    _ => Page(await state.PlacementGroupsAsync(filters, limit, ct).ConfigureAwait(false)),
                };
            }
            catch (ArgumentException ex)
            {
                return BadRequest(ex);
            }
        });
        app.MapGet("/api/timeline", async (HttpRequest request, HttpResponse response, IGrainFactory grains, NodeRuntime runtime, CancellationToken ct) =>
        {
            StateList<TimelineEvent> timeline;
            try
            {
                var limit = request.Query["limit"].Count == 0 ? ClusterState.MaxLimit : TimelineLimit(request.Query["limit"].ToString());
                timeline = await TimelineBuilder.ReadAsync(new ClusterState(grains, runtime), Filters(request), limit, ct).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                return BadRequest(ex);
            }

            var name = $"orleansray-timeline-{DateTime.UtcNow.ToString("yyyy-MM-dd_HH-mm-ss", System.Globalization.CultureInfo.InvariantCulture)}.json";
            response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
            if (timeline.Warnings.Count > 0)
            {
                response.Headers["X-OrleansRay-Warnings"] = string.Join(" | ", timeline.Warnings);
            }

            return Results.Stream(stream => ChromeTrace.WriteAsync(timeline.Rows, stream, ct), "application/json");
        });
        return app;
    }

    /// <summary>A timeline's <c>limit</c>: 1 to 10,000, where a listing's default of 100 does not apply (the timeline's is 10,000).</summary>
    private static int TimelineLimit(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= ClusterState.MaxLimit
            ? limit
            : throw new ArgumentException($"limit '{text}' is not a whole number 1 to {ClusterState.MaxLimit} (the timeline's default and most).");

    private static IResult Page<T>(StateList<T> list) => Results.Ok(new { rows = list.Rows, total = list.Total, truncated = list.Truncated, warnings = list.Warnings });

    private static IResult BadRequest(ArgumentException ex) => Results.BadRequest(new { error = ex.Message.Split(" (Parameter", 2)[0] });

    private static StateResource Resource(string name) => Resources.TryGetValue(name, out var resource)
        ? resource
        : throw new ArgumentException($"Unknown state resource '{name}'; valid: {string.Join(", ", Resources.Keys)}.");

    private static List<StateFilter> Filters(HttpRequest request) => request.Query["filter"].Where(f => !string.IsNullOrEmpty(f)).Select(f => StateFilter.Parse(f!)).ToList();

    private static int Limit(HttpRequest request)
    {
        var text = request.Query["limit"].ToString();
        if (text.Length == 0)
        {
            return ClusterState.DefaultLimit;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit)
            ? ClusterState.CheckLimit(limit)
            : throw new ArgumentException($"limit '{text}' is not a whole number 1 to {ClusterState.MaxLimit}.");
    }
}
