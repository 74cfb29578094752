using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Silo.Dashboard;

namespace OrleansRay.Silo.Cli;

/// <summary>The command line's side of the head's HTTP job API (<see cref="JobEndpoints"/>): what <c>job submit | list |
/// status | logs | stop --address http://HEAD:8265</c> use, needing nothing of the head but its URL.</summary>
/// <remarks>Every failure becomes a <see cref="CliException"/> with one line: the head's <c>{error}</c> for a refused
/// request (exit code 2 for 4xx: bad input, unknown job, no or a wrong auth token), or why the head could not be
/// reached (exit code 1).</remarks>
internal sealed class JobApiClient : IDisposable
{
    /// <summary>How long a query (list, status, logs, stop) may take: it answers in milliseconds, a stop within the 10 s
    /// it waits for the job; a head that accepts and says nothing is told within this, not after a transfer's deadline.</summary>
    public static readonly TimeSpan QueryDeadline = TimeSpan.FromSeconds(20);

    /// <summary>How long a call that legitimately takes long may take: an upload of a working dir (100 MiB in seconds on
    /// a slow link), a submit (the head starts the job), each call of a <c>--follow</c> that watches a busy head.</summary>
    public static readonly TimeSpan TransferDeadline = TimeSpan.FromSeconds(100);

    private readonly TimeSpan _queryDeadline;

    private readonly HttpClient _http;

    /// <param name="baseUrl">The head's dashboard URL, e.g. http://10.0.0.5:8265.</param>
    /// <param name="token">The cluster's auth token, sent as <c>Authorization: Bearer</c>; null sends none (a head
    /// started with --insecure).</param>
    /// <param name="queryDeadline">How long a query may take; default <see cref="QueryDeadline"/> (tests shorten it).</param>
    public JobApiClient(Uri baseUrl, string? token, TimeSpan? queryDeadline = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        BaseUrl = baseUrl;
        _queryDeadline = queryDeadline ?? QueryDeadline;
        // Each call has its own deadline (CallAsync): a query's is short, a transfer's long.
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseUrl { get; }

    /// <summary>The job table (<c>GET /api/jobs</c>), newest first.</summary>
    public async Task<IReadOnlyList<DashboardApi.JobRow>> ListAsync(CancellationToken cancellationToken) =>
        (await SendAsync<DashboardApi.JobsView>(HttpMethod.Get, "api/jobs", null, _queryDeadline, cancellationToken).ConfigureAwait(false)).Jobs;

    /// <summary>One job (<c>GET /api/jobs/{id}</c>).</summary>
    public Task<JobDetail> GetAsync(string jobId, CancellationToken cancellationToken) => GetAsync(jobId, _queryDeadline, cancellationToken);

    private Task<JobDetail> GetAsync(string jobId, TimeSpan deadline, CancellationToken cancellationToken) =>
        SendAsync<JobDetail>(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}", null, deadline, cancellationToken);

    /// <summary>Stops a job the head runs (<c>POST /api/jobs/{id}/stop</c>).</summary>
    public Task<JobDetail> StopAsync(string jobId, CancellationToken cancellationToken) =>
        SendAsync<JobDetail>(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(jobId)}/stop", null, _queryDeadline, cancellationToken);

    /// <summary>Checks with one small request that the head's job API answers and takes this client's token: asks for
    /// the job <paramref name="jobId"/>, which need not exist (a 404 is an answer). For a caller about to do costly
    /// work before its first real call (packing a working dir).</summary>
    /// <exception cref="CliException">Nothing answers, or the head refuses the token or the request.</exception>
    public async Task EnsureAnswersAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}", null, _queryDeadline, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw await FailureAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Submits a job (<c>POST /api/jobs</c>).</summary>
    public Task<JobSubmitted> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken) =>
        SendAsync<JobSubmitted>(HttpMethod.Post, "api/jobs", JsonContent.Create(request, options: JobApiJson.Options), TransferDeadline, cancellationToken);

    /// <summary>Uploads a working-dir zip unless the head has it already (content-addressed by SHA-256).</summary>
    /// <returns>True when it was uploaded, false when the head had it.</returns>
    public async Task<bool> UploadAsync(WorkingDirPackage.Package package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var path = $"api/packages/{package.Sha256}";
        using (var probe = await CallAsync(HttpMethod.Get, path, null, _queryDeadline, cancellationToken).ConfigureAwait(false))
        {
            if (probe.IsSuccessStatusCode)
            {
                return false;
            }

            if (probe.StatusCode != HttpStatusCode.NotFound)
            {
                throw await FailureAsync(probe, cancellationToken).ConfigureAwait(false);
            }
        }

        await using var zip = File.OpenRead(package.ZipFile);
        var content = new StreamContent(zip);
        content.Headers.ContentType = new("application/zip");
        _ = await SendAsync<PackageInfo>(HttpMethod.Put, path, content, TransferDeadline, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The job's output from byte <paramref name="offset"/> (<c>GET /api/jobs/{id}/logs?offset=N</c>).</summary>
    public Task<byte[]> LogsAsync(string jobId, long offset, CancellationToken cancellationToken) => LogsAsync(jobId, offset, _queryDeadline, cancellationToken);

    private async Task<byte[]> LogsAsync(string jobId, long offset, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}/logs?offset={offset.ToString(CultureInfo.InvariantCulture)}", null, deadline, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the job's output to <paramref name="output"/>; with <paramref name="follow"/>, as it grows until
    /// the job ended (its row closed and its process' exit recorded), then returns its row.</summary>
    public async Task<JobDetail?> CopyLogsAsync(string jobId, Stream output, bool follow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        long offset = 0;
        var deadline = follow ? TransferDeadline : _queryDeadline;
        while (true)
        {
            // The row before the log: output written before the end is in the log by then.
            var detail = follow ? await GetAsync(jobId, deadline, cancellationToken).ConfigureAwait(false) : null;
            byte[] chunk;
            do
            {
                chunk = await LogsAsync(jobId, offset, deadline, cancellationToken).ConfigureAwait(false);
                offset += chunk.Length;
                await output.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
            while (chunk.Length >= JobSubmissions.MaxLogChunk);

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (!follow || (detail is { EndedAt: not null } && (detail.ExitCode is not null || !detail.LogOnHead)))
            {
                return detail;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(method, path, content, deadline, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<T>(JobApiJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException("empty answer");
        }
        catch (JsonException ex)
        {
            throw new CliException($"{BaseUrl}{path}: the answer is not the job API's JSON ({ex.Message.Split(". ")[0]}); is --address the head's dashboard URL (default port 8265)?");
        }
    }

    /// <summary>One request, its answer read whole within <paramref name="deadline"/>.</summary>
    private async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, HttpContent? content, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(deadline);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timer.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            if (ex.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
            {
                // Something listens there but does not speak HTTP: most likely a node's client (gateway) port, 30000.
                throw new CliException($"--address {BaseUrl}: something answers there, but not over HTTP: is it a node's client (gateway) port such as 30000? The job API is the head's dashboard URL (default port 8265), as `orleansray start --head` prints it.");
            }

            var reason = ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } ? "connection refused" : ex.GetBaseException().Message.TrimEnd('.');
            throw new CliException($"--address {BaseUrl}: the head's job API does not answer ({reason}). Is the head running, with its dashboard at that address? `orleansray start --head` prints it.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"--address {BaseUrl.ToString().TrimEnd('/')}: no answer from the head's job API within {deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; check that it is the head's dashboard URL (default port 8265) and that the head is running and responsive (`orleansray status` on its machine).");
        }
    }

    private async Task<CliException> FailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // The head's {error} is written for any client; this one names the command's own options.
            var problem = _http.DefaultRequestHeaders.Authorization is null
                ? "it needs the cluster's auth token (it does not run --insecure, so drop --insecure or $ORLEANSRAY_INSECURE if given)"
                : "the auth token sent is not this cluster's";
            return CliException.Usage($"the head at {BaseUrl.ToString().TrimEnd('/')} refused the request: {problem}: give --auth-token or set ${ClusterCredentials.TokenVariable}");
        }

        string message;
        try
        {
            message = (await response.Content.ReadFromJsonAsync<ApiError>(JobApiJson.Options, cancellationToken).ConfigureAwait(false))?.Error
                ?? $"HTTP {status.ToString(CultureInfo.InvariantCulture)}";
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            message = $"HTTP {status.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase} from {response.RequestMessage?.RequestUri} (not the job API's answer; is --address the head's dashboard URL?)";
        }

        return new CliException(message, status is >= 400 and < 500 ? CliException.UsageExitCode : CliException.FailureExitCode);
    }
}
