using System.Text.Encodings.Web;
using System.Text.Json;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The JSON of the head's job API (<see cref="JobEndpoints"/>), shared by the head and the command line's
/// <see cref="Cli.JobApiClient"/>: camelCase, as ASP.NET Core writes it.</summary>
internal static class JobApiJson
{
    /// <summary>camelCase names, case-insensitive reading; quotes and '&lt;' left as they are in messages (the answers
    /// are application/json, never embedded in HTML), so an error reads plainly with curl.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>Body of <c>POST /api/jobs</c>.</summary>
/// <param name="Entrypoint">The command to run on the head, program first, e.g. ["dotnet", "run", "--project", "App"];
/// required. A relative program path is taken from the working dir.</param>
/// <param name="JobId">The job's id (1-64 letters, digits, '.', '_', '-'); default job-&lt;8 hex digits&gt;.</param>
/// <param name="Env">Extra environment variables of the job's process; ORLEANSRAY_ADDRESS and ORLEANSRAY_JOB_ID
/// cannot be set (the head sets them).</param>
/// <param name="WorkingDir">The SHA-256 (64 lowercase hex digits) of a working-dir zip uploaded with
/// <c>PUT /api/packages/{sha256}</c>; the job runs in the head's unpacked copy. Null: an empty folder of its own.</param>
internal sealed record JobSubmitRequest(IReadOnlyList<string>? Entrypoint, string? JobId = null, IReadOnlyDictionary<string, string>? Env = null, string? WorkingDir = null);

/// <summary>Answer of <c>POST /api/jobs</c> (201).</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Pid">The job's process on the head.</param>
/// <param name="Address">The cluster (gateway) address the job got as ORLEANSRAY_ADDRESS.</param>
/// <param name="WorkingDir">The folder on the head the job runs in.</param>
/// <param name="Entrypoint">The command line, as one string.</param>
internal sealed record JobSubmitted(string JobId, int Pid, string Address, string WorkingDir, string Entrypoint);

/// <summary>Answer of <c>GET /api/jobs/{id}</c> and <c>POST /api/jobs/{id}/stop</c>: the job's row of the job table
/// (the fields of a <c>GET /api/jobs</c> row) plus what the head knows of the job's process.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="State">PENDING, RUNNING, SUCCEEDED, FAILED or STOPPED.</param>
/// <param name="Driver">The driver id of the job's connection (empty until its driver connects).</param>
/// <param name="Host">The machine the driver runs on.</param>
/// <param name="Pid">The driver's (or submitted command's) process id; 0 when unknown.</param>
/// <param name="Entrypoint">The command line.</param>
/// <param name="Namespace">The driver's namespace.</param>
/// <param name="StartedAt">When it was submitted or connected.</param>
/// <param name="EndedAt">When it ended; null while it runs.</param>
/// <param name="Message">Why it ended, e.g. "exit code 0".</param>
/// <param name="Embedded">True for an embedded node's own driver.</param>
/// <param name="ExitCode">The process' exit code once it exited, for a job the head runs; else null.</param>
/// <param name="LogOnHead">True when the head has the job's output (<c>GET /api/jobs/{id}/logs</c> answers).</param>
/// <param name="Outcome">For a stop: one line saying what was done.</param>
internal sealed record JobDetail(
    string JobId,
    string State,
    string Driver,
    string Host,
    int Pid,
    string Entrypoint,
    string Namespace,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string? Message,
    bool Embedded,
    int? ExitCode,
    bool LogOnHead,
    string? Outcome = null);

/// <summary>Answer of <c>PUT</c> and <c>GET /api/packages/{sha256}</c>.</summary>
/// <param name="Sha256">The zip's SHA-256, lowercase hex.</param>
/// <param name="Size">The zip's size in bytes.</param>
internal sealed record PackageInfo(string Sha256, long Size);

/// <summary>Every error answer: one line saying what was wrong and what to do.</summary>
internal sealed record ApiError(string Error);

/// <summary>A request the job API refuses: the HTTP status and the one-line message of its <see cref="ApiError"/>.</summary>
internal sealed class JobApiException : Exception
{
    public JobApiException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>400 bad input, 404 unknown, 409 taken id, 413 too large, 500 the head failed.</summary>
    public int StatusCode { get; }
}
