using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRay.Silo.Cli;

/// <summary>A job submitted from this machine (<c>orleansray job submit</c>), as its file <c>jobs/&lt;id&gt;.json</c>
/// describes it: what runs, where its log is, the process and its supervisor, and how it ended.</summary>
/// <remarks>The submitting <c>job submit</c> writes it first; from then on the job's supervisor (<c>job supervise</c>) is
/// its only writer. <c>job logs</c> and <c>job stop</c> read it: the job table says what runs, this file says where.</remarks>
/// <param name="JobId">The job's id (the job table's key, the driver's <c>ORLEANSRAY_JOB_ID</c>).</param>
/// <param name="Address">The cluster's client address the job's driver connects to (<c>ORLEANSRAY_ADDRESS</c>).</param>
/// <param name="Command">The command line, program first.</param>
/// <param name="WorkingDirectory">Where it runs: the folder <c>job submit</c> ran in.</param>
/// <param name="LogFile">The job's output (stdout and stderr), in the session folder.</param>
/// <param name="SubmittedAt">When <c>job submit</c> ran.</param>
internal sealed record JobRecord(string JobId, string Address, IReadOnlyList<string> Command, string WorkingDirectory, string LogFile, DateTimeOffset SubmittedAt)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The supervisor process (0 until it started) and its start time (a reused pid is never taken for it).</summary>
    public int SupervisorPid { get; init; }

    public DateTime SupervisorStart { get; init; }

    /// <summary>The job's process (0 until started): it leads its own process group, which <c>job stop</c> signals.</summary>
    public int Pid { get; init; }

    public DateTime ProcessStart { get; init; }

    /// <summary>Extra environment variables of the job's process (a job submitted over the head's HTTP API may name
    /// some); null for none. <c>ORLEANSRAY_ADDRESS</c> and <c>ORLEANSRAY_JOB_ID</c> are always the job's own.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The head's unpacked copy of an uploaded working dir (<see cref="WorkingDirectory"/> then), kept until
    /// <c>orleansray stop</c> removes the session; null when the job runs in a folder of the machine that submitted it.</summary>
    public string? UploadedWorkingDirectory { get; init; }

    /// <summary>The folder the job's driver takes as its <c>RuntimeEnv.WorkingDir</c> unless it sets one
    /// (<c>ORLEANSRAY_JOB_WORKING_DIR</c>): the head's unpacked copy of an uploaded working dir, or the
    /// <c>--working-dir</c> given to a job run on the submitting machine; its files then reach every node that runs the
    /// job's tasks and actors. Null when neither: the job has none.</summary>
    public string? JobWorkingDir { get; init; }

    /// <summary>Longest job id: it names files and shows in tables.</summary>
    public const int MaxJobIdLength = 64;

    /// <summary>True for 1 to <see cref="MaxJobIdLength"/> ASCII letters, digits, '.', '_' or '-', starting with a
    /// letter or digit (so an id is a safe file name and never a path).</summary>
    public static bool IsValidJobId(string? id) =>
        id is { Length: > 0 and <= MaxJobIdLength }
        && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The file name of a job's output in its session's log folder: <c>job-driver-ID.log</c>, Ray's name for a
    /// submitted job's driver log (the prefix keeps any job id clear of the nodes' <c>node-PORT.log</c>).</summary>
    public static string LogFileName(string jobId) => $"job-driver-{jobId}.log";

    /// <summary>The message for a job id <see cref="IsValidJobId"/> refuses.</summary>
    public static string JobIdRule => $"use 1 to {MaxJobIdLength.ToString(System.Globalization.CultureInfo.InvariantCulture)} letters, digits, '.', '_' or '-', starting with a letter or digit";

    /// <summary>The process' exit code, once it exited.</summary>
    public int? ExitCode { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The job's final state as recorded in the job table (SUCCEEDED, FAILED, STOPPED), once ended.</summary>
    public string? State { get; init; }

    /// <summary>Why the job could not start, or its end could not be recorded.</summary>
    public string? Error { get; init; }

    /// <summary>The exit code <c>job submit</c> reports for <see cref="Error"/> when the job could not start (2: bad input).</summary>
    public int? ErrorExitCode { get; init; }

    /// <summary>The command as one line, arguments with spaces quoted.</summary>
    [JsonIgnore]
    public string CommandLine => string.Join(' ', Command.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) || a.Contains('"', StringComparison.Ordinal) ? "\"" + a.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : a));

    public void Write(string path) => CliPaths.WriteAtomically(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a job's file; null when it is gone or unreadable (being replaced right now).</summary>
    public static JobRecord? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<JobRecord>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
