using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The head's HTTP job API (Ray's job submission REST API), served with the dashboard (port 8265 by default):
/// <list type="bullet">
/// <item><c>GET /api/jobs</c>: the job table, <c>{jobs: [row...]}</c> (the dashboard's Jobs page reads it).</item>
/// <item><c>PUT /api/packages/{sha256}</c>: a working-dir zip (body: the zip) → 201/200 <see cref="PackageInfo"/>;
/// <c>GET /api/packages/{sha256}</c> → 200 <see cref="PackageInfo"/> or 404 (upload only what the head lacks).</item>
/// <item><c>POST /api/jobs</c>: body <see cref="JobSubmitRequest"/> → 201 <see cref="JobSubmitted"/>.</item>
/// <item><c>GET /api/jobs/{id}</c> → <see cref="JobDetail"/>.</item>
/// <item><c>GET /api/jobs/{id}/logs?offset=N</c> → the job's output from byte N (text/plain, at most 4 MiB a call).</item>
/// <item><c>POST /api/jobs/{id}/stop</c> → <see cref="JobDetail"/> with its outcome.</item>
/// </list>
/// Errors: 4xx/5xx with <see cref="ApiError"/> <c>{error: "..."}</c>; nothing a request sends makes the node fail.</summary>
internal static class JobEndpoints
{
    /// <summary>Largest accepted <c>POST /api/jobs</c> body: an entrypoint and environment, not data.</summary>
    private const int MaxRequestJson = 1 << 20;

    /// <summary>Maps the job API. Needs <see cref="DashboardApi"/>; the endpoints beyond the list answer 501 on a node
    /// without <see cref="JobSubmissions"/> (an embedded node: it runs no submitted jobs).</summary>
    /// <remarks>Every endpoint of the API is in the one route group made here: the security issue's token check goes
    /// on that group (<c>group.AddEndpointFilter(...)</c>) and so guards them all, the job list included.</remarks>
    public static IEndpointRouteBuilder MapJobApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup("/api").AnswerHeadAsGet();
        group.MapGet("/jobs", (DashboardApi source, CancellationToken ct) => source.JobsAsync(ct));
        group.MapPost("/jobs", (HttpContext http, CancellationToken ct) => AnswerAsync(http, async jobs =>
        {
            var submitted = await jobs.SubmitAsync(await ReadRequestAsync(http, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            return Results.Json(submitted, JobApiJson.Options, statusCode: StatusCodes.Status201Created);
        }));
        group.MapGet("/jobs/{jobId}", (string jobId, HttpContext http, CancellationToken ct) =>
            AnswerAsync(http, async jobs => Results.Json(await jobs.GetAsync(jobId, ct).ConfigureAwait(false), JobApiJson.Options)));
        group.MapGet("/jobs/{jobId}/logs", (string jobId, HttpContext http, CancellationToken ct) => AnswerAsync(http, async jobs =>
        {
            var offset = 0L;
            if (http.Request.Query.TryGetValue("offset", out var given) && !long.TryParse(given.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out offset))
            {
                throw new JobApiException(400, $"offset '{given}': give a byte offset >= 0 (the number of bytes already read).");
            }

            return Results.Bytes(await jobs.ReadLogAsync(jobId, offset, ct).ConfigureAwait(false), "text/plain; charset=utf-8");
        }));
        group.MapPost("/jobs/{jobId}/stop", (string jobId, HttpContext http, CancellationToken ct) =>
            AnswerAsync(http, async jobs => Results.Json(await jobs.StopAsync(jobId, ct).ConfigureAwait(false), JobApiJson.Options)));
        group.MapGet("/packages/{sha256}", (string sha256, HttpContext http) => AnswerAsync(http, jobs => Task.FromResult(
            jobs.FindPackage(sha256) is { } package
                ? Results.Json(package, JobApiJson.Options)
                : Error(StatusCodes.Status404NotFound, $"the head has no package {sha256}; PUT it."))));
        group.MapPut("/packages/{sha256}", (string sha256, HttpContext http, CancellationToken ct) => AnswerAsync(http, async jobs =>
        {
            // The head's own limit applies (counted while reading), not Kestrel's 30 MB default.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = null;
            }

            var (package, created) = await jobs.PutPackageAsync(sha256, http.Request.Body, http.Request.ContentLength, ct).ConfigureAwait(false);
            return Results.Json(package, JobApiJson.Options, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }));
        return app;
    }

    /// <summary>Runs <paramref name="handle"/> with the node's <see cref="JobSubmissions"/> and turns every failure into
    /// an <see cref="ApiError"/> answer.</summary>
    private static async Task<IResult> AnswerAsync(HttpContext http, Func<JobSubmissions, Task<IResult>> handle)
    {
        if (http.RequestServices.GetService<JobSubmissions>() is not { } jobs)
        {
            return Error(StatusCodes.Status501NotImplemented, "this node runs no submitted jobs: submit to the head of a cluster started with `orleansray start --head`.");
        }

        try
        {
            return await handle(jobs).ConfigureAwait(false);
        }
        catch (JobApiException ex)
        {
            return Error(ex.StatusCode, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            return Error(ex.StatusCode, $"bad request: {ex.Message}");
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away: nobody reads the answer.
            return Results.Empty;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Error(StatusCodes.Status500InternalServerError, $"the head could not do it: {ex.GetBaseException().Message}");
        }
    }

    private static async Task<JobSubmitRequest?> ReadRequestAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (http.Request.ContentLength > MaxRequestJson)
        {
            throw new JobApiException(StatusCodes.Status413PayloadTooLarge, "the job request is over 1 MiB; send the working dir as a package (PUT /api/packages/{sha256}), not in the request.");
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<JobSubmitRequest>(http.Request.Body, JobApiJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            // A field of the wrong type is named in the request's words, never by its .NET type.
            var problem = ex.Path?.ToLowerInvariant() switch
            {
                "$.entrypoint" => "entrypoint must be an array of strings, the program and its arguments (it runs without a shell), e.g. [\"echo\", \"hi\"]; for a shell command line give [\"sh\", \"-c\", \"echo hi\"]",
                "$.env" => "env must be an object of names to string values, e.g. {\"NAME\": \"value\"}",
                "$.jobid" or "$.workingdir" => $"{ex.Path![2..]} must be a string",
                { Length: > 2 } when ex.Message.Contains("could not be converted", StringComparison.Ordinal) => $"{ex.Path![2..]} has the wrong type",
                _ => ex.Message.Split(". ")[0],
            };
            throw new JobApiException(StatusCodes.Status400BadRequest, $"the body is not a job request's JSON ({problem}); send {{\"entrypoint\": [\"program\", \"arg\"...], \"jobId\": \"optional\", \"workingDir\": \"sha256 of an uploaded package\"}}.");
        }
    }

    private static IResult Error(int status, string message) => Results.Json(new ApiError(message), JobApiJson.Options, statusCode: status);
}
