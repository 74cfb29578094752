using System.Globalization;
using System.Security.Cryptography;
using OrleansRay.Grains;
using OrleansRay.Hosting;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Dashboard;

/// <summary>The head's side of remote job submission (Ray's job API): stores uploaded working dirs, runs submitted
/// jobs exactly as <c>orleansray job submit</c> on the head would (<see cref="JobRunner"/>: a job file, a supervisor
/// process, the job table's row, the log in the session folder), and answers for the jobs of this machine.</summary>
/// <remarks>Files: packages as <c>SESSION/packages/SHA256.zip</c>; each job's unpacked working dir in
/// <c>SESSION/job_files/JOB_ID/</c>, kept while the session is (<c>orleansray stop</c> removes the session's files).
/// Every method validates its input and throws <see cref="JobApiException"/> with the status and a one-line message.</remarks>
internal sealed class JobSubmissions
{
    /// <summary>Environment variable of the head (read at <c>orleansray start --head</c>) replacing the upload limit
    /// of <see cref="WorkingDirPackage.DefaultMaxBytes"/>, in bytes.</summary>
    public const string MaxUploadVariable = "ORLEANSRAY_JOB_MAX_UPLOAD";

    /// <summary>The most of a job's log one <see cref="ReadLogAsync"/> returns; a follower asks again from there.</summary>
    public const int MaxLogChunk = 4 << 20;

    private readonly ObjectStore.Security.ClusterCredentials? _credentials;
    private readonly CliPaths _paths;
    private readonly string _session;
    private readonly IGrainFactory _grains;
    /// <summary>Guards <see cref="_starting"/>: checking that an id is free and claiming it is one step.</summary>
    private readonly SemaphoreSlim _claiming = new(1, 1);

    /// <summary>Ids of jobs being started right now (their job file may not be written yet): one submission per id,
    /// while submissions of different ids start side by side.</summary>
    private readonly HashSet<string> _starting = new(StringComparer.Ordinal);

    /// <param name="paths">The head's CLI folders (its job files are there).</param>
    /// <param name="gatewayAddress">The head's client address HOST:PORT, given to jobs as ORLEANSRAY_ADDRESS.</param>
    /// <param name="session">The head's session folder.</param>
    /// <param name="maxUploadBytes">The largest working-dir zip accepted, and the most it may unpack to, in bytes.</param>
    /// <param name="grains">The head's grain factory (the job table).</param>
    /// <param name="credentials">The cluster's credentials: a submitted job's driver gets the token in
    /// <c>$ORLEANSRAY_AUTH_TOKEN</c>; null on a head started with --insecure.</param>
    public JobSubmissions(CliPaths paths, string gatewayAddress, string session, long maxUploadBytes, IGrainFactory grains, ObjectStore.Security.ClusterCredentials? credentials)
    {
        _credentials = credentials;
        _paths = paths;
        GatewayAddress = gatewayAddress;
        _session = session;
        MaxUploadBytes = maxUploadBytes;
        _grains = grains;
    }

    public string GatewayAddress { get; }

    public long MaxUploadBytes { get; }

    private string PackagesDirectory => Path.Combine(_session, "packages");

    /// <summary>The limit from <see cref="MaxUploadVariable"/>, else the default.</summary>
    public static long MaxUploadFromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable(MaxUploadVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0
            ? bytes
            : WorkingDirPackage.DefaultMaxBytes;

    /// <summary>The package <paramref name="sha256"/> when the head has it, else null.</summary>
    public PackageInfo? FindPackage(string sha256)
    {
        var file = new FileInfo(PackageFile(sha256));
        return file.Exists ? new PackageInfo(sha256, file.Length) : null;
    }

    /// <summary>Stores an uploaded working-dir zip under its SHA-256 after checking its size, hash and entries.</summary>
    /// <param name="sha256">The zip's SHA-256 the uploader computed (lowercase hex); checked against the bytes.</param>
    /// <param name="body">The zip.</param>
    /// <param name="declaredLength">The request's Content-Length, when given: refused at once when over the limit.</param>
    /// <param name="cancellationToken">Aborts the upload.</param>
    /// <returns>The package and whether it was new (false: the head had it already).</returns>
    public async Task<(PackageInfo Package, bool Created)> PutPackageAsync(string sha256, Stream body, long? declaredLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        _ = PackageFile(sha256);
        if (FindPackage(sha256) is { } known)
        {
            return (known, false);
        }

        if (declaredLength > MaxUploadBytes)
        {
            throw TooLarge(declaredLength.Value);
        }

        Directory.CreateDirectory(PackagesDirectory);
        var temp = Path.Combine(PackagesDirectory, $"{sha256}.{Guid.NewGuid():N}.part");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long received = 0;
            await using (var file = File.Create(temp))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    received += read;
                    if (received > MaxUploadBytes)
                    {
                        throw TooLarge(received, atLeast: true);
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != sha256)
            {
                throw new JobApiException(400, $"the upload's SHA-256 is {actual}, not {sha256} as its URL says; PUT the zip to /api/packages/<its SHA-256>.");
            }

            try
            {
                WorkingDirPackage.Validate(temp, MaxUploadBytes);
            }
            catch (InvalidDataException ex)
            {
                throw new JobApiException(ex.Message.Contains("limit", StringComparison.Ordinal) ? 413 : 400, ex.Message);
            }

            File.Move(temp, PackageFile(sha256), overwrite: true);
            return (new PackageInfo(sha256, received), true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Runs a job on the head: unpacks its working dir and starts it with <see cref="JobRunner"/>.</summary>
    public async Task<JobSubmitted> SubmitAsync(JobSubmitRequest? request, CancellationToken cancellationToken)
    {
        if (request?.Entrypoint is not { Count: > 0 } entrypoint || string.IsNullOrWhiteSpace(entrypoint[0]) || entrypoint.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            throw new JobApiException(400, "give the entrypoint, the command to run, as a JSON array of strings: {\"entrypoint\": [\"dotnet\", \"run\", \"--project\", \"App\"]}.");
        }

        var jobId = request.JobId ?? "job-" + Guid.NewGuid().ToString("N")[..8];
        if (!JobRecord.IsValidJobId(jobId))
        {
            throw new JobApiException(400, $"jobId '{jobId}': {JobRecord.JobIdRule}.");
        }

        var env = CheckEnvironment(request.Env);
        string? package = null;
        if (request.WorkingDir is { } sha)
        {
            package = PackageFile(sha);
            if (!File.Exists(package))
            {
                throw new JobApiException(400, $"workingDir {sha}: the head has no such package; PUT the zip to /api/packages/{sha} first.");
            }
        }

        await _claiming.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_starting.Contains(jobId) || JobRecord.TryRead(_paths.JobFile(jobId)) is not null || await FindRowAsync(jobId, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new JobApiException(409, $"jobId '{jobId}': the cluster already has a job of that id; choose another id, or leave it out for a new one.");
            }

            _starting.Add(jobId);
        }
        finally
        {
            _claiming.Release();
        }

        try
        {
            return await StartClaimedAsync(jobId, entrypoint, env, package, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _claiming.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            _starting.Remove(jobId);
            _claiming.Release();
        }
    }

    /// <summary>Unpacks the working dir and starts job <paramref name="jobId"/> (its id claimed by this submission).</summary>
    private async Task<JobSubmitted> StartClaimedAsync(string jobId, IReadOnlyList<string> entrypoint, Dictionary<string, string>? env, string? package, CancellationToken cancellationToken)
    {
        var workingDir = Path.Combine(_session, "job_files", jobId);
        if (Directory.Exists(workingDir))
        {
            Directory.Delete(workingDir, recursive: true);
        }

        Directory.CreateDirectory(workingDir);
        try
        {
            if (package is not null)
            {
                WorkingDirPackage.Validate(package, MaxUploadBytes);
                WorkingDirPackage.Extract(package, workingDir);
            }

            if (JobSupervisor.FindProgram(entrypoint[0], workingDir) is null)
            {
                throw new JobApiException(400, $"{entrypoint[0]}: no such program on the head (not a file of the working dir, and not on the head's PATH).");
            }

            var logs = Path.Combine(_session, "logs");
            Directory.CreateDirectory(logs);
            var record = new JobRecord(jobId, GatewayAddress, [.. entrypoint], workingDir, Path.Combine(logs, JobRecord.LogFileName(jobId)), DateTimeOffset.UtcNow)
            {
                Environment = env,
                UploadedWorkingDirectory = package is null ? null : workingDir,
                // The uploaded folder is the job's working dir: its driver ships it to the nodes (RuntimeEnv.WorkingDir).
                JobWorkingDir = package is null ? null : workingDir,
            };
            try
            {
                record = await JobRunner.StartAsync(_paths, record, _credentials, cancellationToken).ConfigureAwait(false);
            }
            catch (CliException ex)
            {
                throw new JobApiException(ex.ExitCode == CliException.UsageExitCode ? 400 : 500, ex.Message);
            }

            return new JobSubmitted(jobId, record.Pid, GatewayAddress, workingDir, record.CommandLine);
        }
        catch (Exception ex) when (ex is JobApiException or InvalidDataException or IOException)
        {
            Directory.Delete(workingDir, recursive: true);
            throw ex is InvalidDataException ? new JobApiException(400, ex.Message) : ex;
        }
    }

    /// <summary>The job's row and what the head knows of its process; 404 for a job the table does not have.</summary>
    public async Task<JobDetail> GetAsync(string jobId, CancellationToken cancellationToken, string? outcome = null)
    {
        CheckId(jobId);
        var row = await FindRowAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            throw new JobApiException(404, $"no job {jobId}: `orleansray job list` (GET /api/jobs) shows the cluster's jobs.");
        }

        // The row first: the supervisor writes the exit code to the job file before it ends the row, so a row that
        // shows the job ended comes with its exit code.
        var record = JobRecord.TryRead(_paths.JobFile(jobId));

        var state = row.State.ToString().ToUpperInvariant();
        return new JobDetail(row.JobId, state, row.Driver, row.Host, row.Pid, row.Entrypoint, row.Namespace, row.StartedAt, row.EndedAt, row.Message, row.Embedded, record?.ExitCode, record is not null, outcome);
    }

    /// <summary>The job's output from byte <paramref name="offset"/> on, at most <see cref="MaxLogChunk"/> bytes.</summary>
    public async Task<byte[]> ReadLogAsync(string jobId, long offset, CancellationToken cancellationToken)
    {
        var record = await RecordAsync(jobId, "output", cancellationToken).ConfigureAwait(false);
        if (offset < 0)
        {
            throw new JobApiException(400, $"offset {offset.ToString(CultureInfo.InvariantCulture)}: give a byte offset >= 0 (the number of bytes already read).");
        }

        try
        {
            await using var log = new FileStream(record.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (offset >= log.Length)
            {
                return [];
            }

            log.Position = offset;
            var buffer = new byte[(int)Math.Min(MaxLogChunk, log.Length - offset)];
            var read = await log.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return read == buffer.Length ? buffer : buffer[..read];
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Not written yet (the job starts with an empty log), or removed with the session.
            return [];
        }
    }

    /// <summary>Stops a job the head runs, as <c>orleansray job stop</c> on the head does, and answers its row.</summary>
    public async Task<JobDetail> StopAsync(string jobId, CancellationToken cancellationToken)
    {
        var record = await RecordAsync(jobId, "process", cancellationToken).ConfigureAwait(false);
        var outcome = await JobRunner.StopAsync(record, _grains.GetGrain<IJobTableGrain>(0), cancellationToken).ConfigureAwait(false);
        return await GetAsync(jobId, cancellationToken, outcome).ConfigureAwait(false);
    }

    /// <summary>The job file of a job this machine runs; 404 saying where the job is when it runs elsewhere.</summary>
    private async Task<JobRecord> RecordAsync(string jobId, string what, CancellationToken cancellationToken)
    {
        CheckId(jobId);
        if (JobRecord.TryRead(_paths.JobFile(jobId)) is { } record)
        {
            return record;
        }

        var row = await FindRowAsync(jobId, cancellationToken).ConfigureAwait(false);
        var driver = row is null ? string.Empty : $"{(row.Pid > 0 ? $"pid {row.Pid.ToString(CultureInfo.InvariantCulture)} on " : string.Empty)}{row.Host}";
        throw new JobApiException(404, row is null
            ? $"no job {jobId}: `orleansray job list` (GET /api/jobs) shows the cluster's jobs."
            : string.Equals(row.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
                ? row.Submitted
                    ? Commands.JobLogsCommand.EarlierSession(jobId, what)
                    : $"job {jobId} was not submitted with `orleansray job submit`: its driver ({driver}) was run directly, so its {what} is its own, not the head's."
                : $"job {jobId} was not submitted on the head (its driver is {driver}): its {what} is there.");
    }

    private async Task<JobInfo?> FindRowAsync(string jobId, CancellationToken cancellationToken) =>
        (await _grains.GetGrain<IJobTableGrain>(0).ListAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.JobId == jobId);

    private static void CheckId(string jobId)
    {
        if (!JobRecord.IsValidJobId(jobId))
        {
            throw new JobApiException(404, $"no job {jobId}: job ids are {JobRecord.JobIdRule.Replace("use ", string.Empty, StringComparison.Ordinal)}.");
        }
    }

    private static Dictionary<string, string>? CheckEnvironment(IReadOnlyDictionary<string, string>? env)
    {
        if (env is null)
        {
            return null;
        }

        foreach (var (name, value) in env)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || value is null || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new JobApiException(400, $"env '{name}': a variable name is non-empty without '=', and names and values are strings without NUL.");
            }

            if (name is ConnectedCluster.AddressVariable or RayDriver.JobIdVariable)
            {
                throw new JobApiException(400, $"env {name}: the head sets it for the job (the cluster's address and the job's id); leave it out.");
            }
        }

        return new Dictionary<string, string>(env, StringComparer.Ordinal);
    }

    private string PackageFile(string sha256)
    {
        if (sha256 is not { Length: 64 } || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new JobApiException(400, $"package '{sha256}': name a package by its SHA-256, 64 lowercase hex digits.");
        }

        return Path.Combine(PackagesDirectory, sha256 + ".zip");
    }

    private JobApiException TooLarge(long bytes, bool atLeast = false) =>
        new(413, $"the working dir upload is {(atLeast ? "at least " : string.Empty)}{WorkingDirPackage.Size(bytes)}, over the head's limit of {WorkingDirPackage.Size(MaxUploadBytes)}; exclude what the job does not need (--exclude), or raise the head's {MaxUploadVariable}.");
}
