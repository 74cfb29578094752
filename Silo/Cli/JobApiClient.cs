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
    /// <summary>A call answers in milliseconds, an upload of 100 MiB in seconds; a stop waits up to 10 s for the job.</summary>
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(100);

    private readonly HttpClient _http;

    /// <param name="baseUrl">The head's dashboard URL, e.g. http://10.0.0.5:8265.</param>
    /// <param name="token">The cluster's auth token, sent as <c>Authorization: Bearer</c>; null sends none (a head
    /// started with --insecure).</param>
    public JobApiClient(Uri baseUrl, string? token)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = CallDeadline };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseUrl { get; }

    /// <summary>The job table (<c>GET /api/jobs</c>), newest first.</summary>
    public async Task<IReadOnlyList<DashboardApi.JobRow>> ListAsync(CancellationToken cancellationToken) =>
        (await SendAsync<DashboardApi.JobsView>(HttpMethod.Get, "api/jobs", null, cancellationToken).ConfigureAwait(false)).Jobs;

    /// <summary>One job (<c>GET /api/jobs/{id}</c>).</summary>
    public Task<JobDetail> GetAsync(string jobId, CancellationToken cancellationToken) =>
        SendAsync<JobDetail>(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}", null, cancellationToken);

    /// <summary>Stops a job the head runs (<c>POST /api/jobs/{id}/stop</c>).</summary>
    public Task<JobDetail> StopAsync(string jobId, CancellationToken cancellationToken) =>
        SendAsync<JobDetail>(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(jobId)}/stop", null, cancellationToken);

    /// <summary>Checks with one small request that the head's job API answers and takes this client's token: asks for
    /// the job <paramref name="jobId"/>, which need not exist (a 404 is an answer). For a caller about to do costly
    /// work before its first real call (packing a working dir).</summary>
    /// <exception cref="CliException">Nothing answers, or the head refuses the token or the request.</exception>
    public async Task EnsureAnswersAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw await FailureAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Submits a job (<c>POST /api/jobs</c>).</summary>
    public Task<JobSubmitted> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken) =>
        SendAsync<JobSubmitted>(HttpMethod.Post, "api/jobs", JsonContent.Create(request, options: JobApiJson.Options), cancellationToken);

    /// <summary>Uploads a working-dir zip unless the head has it already (content-addressed by SHA-256).</summary>
    /// <returns>True when it was uploaded, false when the head had it.</returns>
    public async Task<bool> UploadAsync(WorkingDirPackage.Package package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var path = $"api/packages/{package.Sha256}";
        using (var probe = await CallAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false))
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
        _ = await SendAsync<PackageInfo>(HttpMethod.Put, path, content, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The job's output from byte <paramref name="offset"/> (<c>GET /api/jobs/{id}/logs?offset=N</c>).</summary>
    public async Task<byte[]> LogsAsync(string jobId, long offset, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}/logs?offset={offset.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken).ConfigureAwait(false);
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
        while (true)
        {
            // The row before the log: output written before the end is in the log by then.
            var detail = follow ? await GetAsync(jobId, cancellationToken).ConfigureAwait(false) : null;
            byte[] chunk;
            do
            {
                chunk = await LogsAsync(jobId, offset, cancellationToken).ConfigureAwait(false);
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

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(method, path, content, cancellationToken).ConfigureAwait(false);
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

    private async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } ? "connection refused" : ex.GetBaseException().Message.TrimEnd('.');
            throw new CliException($"--address {BaseUrl}: the head's job API does not answer ({reason}). Is the head running, with its dashboard at that address? `orleansray start --head` prints it.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"--address {BaseUrl}: no answer within {CallDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.");
        }
    }

    private async Task<CliException> FailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // The head's {error} is written for any client; this one names the command's own options.
            var problem = _http.DefaultRequestHeaders.Authorization is null ? "it needs the cluster's auth token" : "the auth token sent is not this cluster's";
            return CliException.Usage($"the head at {BaseUrl.ToString().TrimEnd('/')} refused the request: {problem}: give --auth-token or set {ClusterCredentials.TokenVariable}");
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
