using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Remote job submission (issue 12, point 4): <c>orleansray job submit | status | logs | stop | list --address
/// http://HEAD:DASHBOARD_PORT</c> against the shared cluster's head, run as from another machine: the command line has
/// a temp folder of its own (no address file, no session), so it has nothing of the cluster but the URL. The working
/// dirs are temp folders outside the repository, removed after each test. The head is secured (the default): every
/// command gives --auth-token and every raw call sends the bearer token, both read from the head's token file.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class JobHttpApiTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan JobDeadline = TimeSpan.FromSeconds(60);

    private readonly SharedCluster _shared;
    private readonly OrleansRayCommand _remote = new("orc-remote-");
    private readonly List<string> _folders = [];
    private readonly List<string> _runningJobs = [];
    private readonly HttpClient _http = new();

    public JobHttpApiTests(SharedCluster shared)
    {
        _shared = shared;
    }

    private LocalCluster Cluster => _shared.Cluster;

    private string Url => Cluster.DashboardUrl;

    /// <summary>The cluster's token, from the head's orleansray_auth_token file.</summary>
    private string Token => File.ReadAllText(Path.Combine(Cluster.TempDirectory, "orleansray_auth_token")).Trim();

    public async Task InitializeAsync()
    {
        await _shared.ResetAsync();
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
    }

    /// <summary>Runs <c>orleansray job VERB ...</c> from the remote command line with <c>--auth-token</c> (put right
    /// after the verb: after "--" it would be the job's argument).</summary>
    private Task<ProcessResult> RemoteAsync(params string[] arguments) =>
        _remote.RunAsync([arguments[0], arguments[1], "--auth-token", Token, .. arguments[2..]]);

    public async Task DisposeAsync()
    {
        // A job a failed test left running is stopped through the same API (its process group gets SIGTERM).
        foreach (var jobId in _runningJobs)
        {
            try
            {
                using var _ = await _http.PostAsync(new Uri($"{Url}/api/jobs/{jobId}/stop"), null);
            }
            catch (HttpRequestException)
            {
                // The head is gone: stopping the cluster stops its jobs.
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _remote.Dispose();
        foreach (var folder in _folders.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_working_dir_submitted_over_http_runs_on_the_head_in_its_uploaded_copy_without_excluded_folders()
    {
        var folder = WorkingDir();
        File.WriteAllText(Path.Combine(folder, "marker.txt"), "only-in-the-uploaded-folder\n");
        Directory.CreateDirectory(Path.Combine(folder, "bin"));
        File.WriteAllText(Path.Combine(folder, "bin", "excluded.txt"), "build output\n");
        Directory.CreateDirectory(Path.Combine(folder, "logs"));
        File.WriteAllText(Path.Combine(folder, "logs", "old.log"), "left out by --exclude\n");
        File.WriteAllText(Path.Combine(folder, "run.sh"), """
            echo "cwd=$(pwd)"
            cat marker.txt
            if [ -e bin/excluded.txt ]; then echo "bin=present"; else echo "bin=absent"; fi
            if [ -e logs/old.log ]; then echo "logs=present"; else echo "logs=absent"; fi
            echo "address=$ORLEANSRAY_ADDRESS job=$ORLEANSRAY_JOB_ID"
            """);
        var jobId = NewJobId();

        var submit = await RemoteAsync("job", "submit", "--address", Url, "--working-dir", folder, "--exclude", "*.log", "--job-id", jobId, "--", "sh", "run.sh");

        Assert.True(submit.ExitCode == 0, submit.ToString());
        Assert.Contains($"Job '{jobId}' submitted successfully", submit.Output, StringComparison.Ordinal);
        Assert.Contains("2 files", submit.Output, StringComparison.Ordinal);
        var status = await WaitForStateAsync(jobId, "SUCCEEDED");
        Assert.Matches(@"Exit code\s+0", status.Output);
        var logs = await RemoteAsync("job", "logs", jobId, "--address", Url);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        // It ran in the head's unpacked copy (under the head's session folder), not in the folder it came from.
        var cwd = Regex.Match(logs.Output, "cwd=(.*)").Groups[1].Value.Trim();
        Assert.StartsWith(Cluster.TempDirectory, cwd, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("job_files", jobId), cwd, StringComparison.Ordinal);
        Assert.Contains("only-in-the-uploaded-folder", logs.Output, StringComparison.Ordinal);
        Assert.Contains("bin=absent", logs.Output, StringComparison.Ordinal);
        Assert.Contains("logs=absent", logs.Output, StringComparison.Ordinal);
        Assert.Contains($"address={Cluster.Address} job={jobId}", logs.Output, StringComparison.Ordinal);
        var list = await RemoteAsync("job", "list", "--address", Url);
        Assert.Matches($@"\| {Regex.Escape(jobId)} +\| SUCCEEDED ", list.Output);

        // The same folder again: content-addressed, so the head has the zip and nothing is uploaded.
        var again = await RemoteAsync("job", "submit", "--address", Url, "--working-dir", folder, "--exclude", "*.log", "--", "sh", "run.sh");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("the head had it already", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_submitted_over_http_joins_the_cluster_with_address_auto_and_follow_waits_for_its_end()
    {
        var folder = WorkingDir();
        File.WriteAllText(Path.Combine(folder, "README.txt"), "a driver's sources would be here\n");
        var jobId = NewJobId();

        // --wait follows the output over HTTP and exits with the job's exit code.
        var submit = await RemoteAsync(["job", "submit", "--address", Url, "--working-dir", folder, "--job-id", jobId, "--wait", "--", .. TestAppDriver.Command("squares", "10")]);

        Assert.True(submit.ExitCode == 0, submit.ToString());
        // Address = "auto" found ORLEANSRAY_ADDRESS; the tasks ran on the cluster.
        Assert.Contains("sum of squares 1..10 = 385", submit.Output, StringComparison.Ordinal);
        Assert.Contains($"Job '{jobId}' SUCCEEDED (exit code 0)", submit.Output, StringComparison.Ordinal);
        var status = await RemoteAsync("job", "status", jobId, "--address", Url);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.StartsWith($"Job '{jobId}': SUCCEEDED", status.Output, StringComparison.Ordinal);
        var follow = await RemoteAsync("job", "logs", jobId, "--address", Url, "--follow");
        Assert.True(follow.ExitCode == 0, follow.ToString());
        Assert.Contains("sum of squares 1..10 = 385", follow.Output, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_working_dir_submitted_over_http_reaches_every_node_that_runs_the_jobs_tasks_and_goes_when_the_job_ends()
    {
        var folder = WorkingDir();
        File.WriteAllText(Path.Combine(folder, "data.txt"), "rows the tasks read\n");
        File.WriteAllText(Path.Combine(folder, "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(folder, "run.sh"), (UnixFileMode)0x1ED); // 0755
        var jobId = NewJobId();

        // The driver sets no RuntimeEnv.WorkingDir: the head's copy of the uploaded folder is its job's working dir.
        var submit = await RemoteAsync(["job", "submit", "--address", Url, "--working-dir", folder, "--job-id", jobId, "--wait", "--", .. TestAppDriver.Command("workdir", "data.txt")]);

        Assert.True(submit.ExitCode == 0, submit + Cluster.Diagnostics());
        var driverFolder = Regex.Match(submit.Output, "driver working dir = (.*)").Groups[1].Value.Trim();
        Assert.EndsWith(Path.Combine("job_files", jobId), driverFolder, StringComparison.Ordinal);
        // A task pinned to each node (the head and both workers) read the file in that node's own copy.
        var reads = Regex.Matches(submit.Output, @"node (\S+) read ([^|\n]+)\|([^|\n]*)\|(\d+)").Select(m => (Node: m.Groups[1].Value, Folder: m.Groups[2].Value, Content: m.Groups[3].Value, Mode: m.Groups[4].Value)).ToList();
        Assert.True(reads.Count == 3, submit.ToString());
        Assert.All(reads, read =>
        {
            Assert.Equal("rows the tasks read", read.Content);
            Assert.Equal("755", read.Mode);
            Assert.Contains(Path.Combine("runtime_resources", "working_dirs", "node-"), read.Folder, StringComparison.Ordinal);
            Assert.NotEqual(driverFolder, read.Folder);
        });
        Assert.Equal(3, reads.Select(r => r.Folder).Distinct(StringComparer.Ordinal).Count());

        // The job ended: every node unloads its code and removes its copy.
        await Poll.UntilAsync(() => reads.All(r => !Directory.Exists(r.Folder)), JobDeadline, "every node to remove the ended job's working dir");
    }

    [Fact]
    public async Task Stop_over_http_ends_a_running_job_by_its_process_group_and_the_table_shows_it_stopped()
    {
        var jobId = NewJobId();
        var submit = await RemoteAsync(["job", "submit", "--address", Url, "--working-dir", WorkingDir(), "--job-id", jobId, "--", .. TestAppDriver.Command("wait")]);
        Assert.True(submit.ExitCode == 0, submit.ToString());
        _runningJobs.Add(jobId);
        await Poll.UntilAsync(
            async () => (await RemoteAsync("job", "logs", jobId, "--address", Url)).Output.Contains("connected", StringComparison.Ordinal),
            JobDeadline,
            $"job {jobId} to connect");
        var pid = JobPid(await RemoteAsync("job", "status", jobId, "--address", Url));
        Assert.True(OrleansRayCommand.IsRunning(pid), $"job process {pid} is not running");

        var stop = await RemoteAsync("job", "stop", jobId, "--address", Url);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"Stopped job {jobId}", stop.Output, StringComparison.Ordinal);
        Assert.False(OrleansRayCommand.IsRunning(pid), $"job process {pid} still runs");
        _runningJobs.Remove(jobId);
        // The supervisor saw the exit and kept STOPPED, with the exit code of the SIGTERM.
        await WaitForStateAsync(jobId, "STOPPED", "Exit code");
    }

    [Fact]
    public async Task A_working_dir_over_the_upload_limit_is_refused_with_its_size_and_the_limit()
    {
        var folder = WorkingDir();
        File.WriteAllBytes(Path.Combine(folder, "data.bin"), new byte[5000]);

        var submit = await RemoteAsync("job", "submit", "--address", Url, "--working-dir", folder, "--max-upload", "4096", "--", "true");

        Assert.True(submit.ExitCode == 2, submit.ToString());
        var line = Assert.Single(submit.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("add up to 4.9 KiB (5000 bytes)", line, StringComparison.Ordinal);
        Assert.Contains("over the limit of 4 KiB (4096 bytes)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_over_the_per_file_limit_is_refused_before_uploading_naming_it_its_size_and_the_limit()
    {
        // 70,000,000 bytes: under --max-upload's 100 MiB, over the 64 MiB a job's driver ships per file (it would crash
        // at connect). Sparse, so the test writes nothing; the packer refuses it from its size, before reading it.
        var folder = WorkingDir();
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        using (var big = File.Create(Path.Combine(folder, "data", "big.bin")))
        {
            big.SetLength(70_000_000);
        }

        File.WriteAllText(Path.Combine(folder, "small.txt"), "fits");
        var jobId = NewJobId();

        var submit = await RemoteAsync("job", "submit", "--address", Url, "--working-dir", folder, "--job-id", jobId, "--", "true");

        Assert.True(submit.ExitCode == 2, submit.ToString());
        var line = Assert.Single(submit.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: working dir {folder}: data/big.bin is 66.8 MiB (70000000 bytes), over the cluster's limit of 64 MiB (67108864 bytes) per file", line, StringComparison.Ordinal);
        Assert.Contains("--exclude 'data/big.bin'", line, StringComparison.Ordinal);
        // Nothing reached the head: no job of that id.
        var status = await RemoteAsync("job", "status", jobId, "--address", Url);
        Assert.True(status.ExitCode == 2, status.ToString());

        // Left out, the rest goes.
        _runningJobs.Add(jobId);
        var excluded = await RemoteAsync("job", "submit", "--address", Url, "--working-dir", folder, "--exclude", "data/big.bin", "--job-id", jobId, "--wait", "--", "cat", "small.txt");

        Assert.True(excluded.ExitCode == 0, excluded.ToString());
        Assert.Contains("fits", excluded.Output, StringComparison.Ordinal);
        _runningJobs.Remove(jobId);
    }

    [Fact]
    public async Task The_head_refuses_a_package_holding_a_file_over_the_per_file_limit_with_413_naming_it()
    {
        // A zip made by another client: 70,000,000 zero bytes compress to a small upload, and a larger file under bin/
        // (which a driver never ships) is not what is refused.
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in new[] { "bin/tool.dll", "data/big.bin" })
            {
                using var entry = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                var zeros = new byte[1 << 20];
                for (var written = 0; written < 70_000_000; written += zeros.Length)
                {
                    entry.Write(zeros, 0, Math.Min(zeros.Length, 70_000_000 - written));
                }
            }
        }

        var bytes = zip.ToArray();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        using var response = await _http.PutAsync(new Uri($"{Url}/api/packages/{sha}"), new ByteArrayContent(bytes));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.StartsWith("the working dir's file data/big.bin unpacks to 66.8 MiB (70000000 bytes), over the cluster's limit of 64 MiB (67108864 bytes) per file", error, StringComparison.Ordinal);
        using var probe = await _http.GetAsync(new Uri($"{Url}/api/packages/{sha}"));
        Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
    }

    [Fact]
    public async Task A_working_dir_holding_a_named_pipe_and_a_socket_is_packed_without_opening_them()
    {
        // Opening a pipe for reading waits for a writer, and a socket cannot be opened at all: the packer must not try.
        var folder = WorkingDir();
        File.WriteAllText(Path.Combine(folder, "data.txt"), "from the working dir");
        var mkfifo = await ProcessRunner.RunAsync("mkfifo", [Path.Combine(folder, "pipe")], TimeSpan.FromSeconds(10));
        Assert.True(mkfifo.ExitCode == 0, mkfifo.ToString());
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(folder, "control.sock")));
        var jobId = "job-fifo-" + Guid.NewGuid().ToString("N")[..6];
        _runningJobs.Add(jobId);

        var submit = await RemoteAsync("job", "submit", "--address", Url, "--working-dir", folder, "--job-id", jobId, "--wait", "--", "sh", "-c", "cat data.txt; ls");

        Assert.True(submit.ExitCode == 0, submit.ToString());
        Assert.Contains("from the working dir", submit.Output, StringComparison.Ordinal);
        Assert.Contains("3 files", submit.Output, StringComparison.Ordinal);
        _runningJobs.Remove(jobId);
    }

    [Fact]
    public async Task A_submit_to_a_head_that_does_not_answer_says_so_before_packing_the_folder()
    {
        // The folder is over the upload limit too: had it been packed first, the size would be the error.
        var folder = WorkingDir();
        File.WriteAllBytes(Path.Combine(folder, "data.bin"), new byte[5000]);
        var deadUrl = $"http://127.0.0.1:{TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture)}";

        var submit = await RemoteAsync("job", "submit", "--address", deadUrl, "--working-dir", folder, "--max-upload", "4096", "--", "true");

        Assert.True(submit.ExitCode == 1, submit.ToString());
        var line = Assert.Single(submit.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not answer", line, StringComparison.Ordinal);
        Assert.DoesNotContain("add up to", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("logs")]
    [InlineData("stop")]
    public async Task An_unknown_job_over_http_is_one_line_with_exit_code_2(string verb)
    {
        var result = await RemoteAsync("job", verb, "no-such-job", "--address", Url);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: no job no-such-job", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_with_entries_outside_its_folder_is_refused_and_nothing_is_written()
    {
        var escapee = $"orc-zipslip-{Guid.NewGuid():N}.txt";
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(archive.CreateEntry("inside.txt").Open()))
            {
                writer.Write("fine");
            }

            using (var writer = new StreamWriter(archive.CreateEntry("../../../../../../../../tmp/" + escapee).Open()))
            {
                writer.Write("escaped");
            }
        }

        var bytes = zip.ToArray();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        using var response = await _http.PutAsync(new Uri($"{Url}/api/packages/{sha}"), new ByteArrayContent(bytes));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("outside its folder", await ErrorOf(response), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine("/tmp", escapee)));
        using var probe = await _http.GetAsync(new Uri($"{Url}/api/packages/{sha}"));
        Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
    }

    [Fact]
    public async Task Bad_requests_get_an_error_json_and_the_head_keeps_serving()
    {
        using var noEntrypoint = await _http.PostAsJsonAsync(new Uri($"{Url}/api/jobs"), new { jobId = NewJobId() });
        Assert.Equal(HttpStatusCode.BadRequest, noEntrypoint.StatusCode);
        Assert.Contains("give the entrypoint", await ErrorOf(noEntrypoint), StringComparison.Ordinal);

        using var notJson = await _http.PostAsync(new Uri($"{Url}/api/jobs"), new StringContent("{not json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("not a job request's JSON", await ErrorOf(notJson), StringComparison.Ordinal);

        // Ray's entrypoint is a shell string; here it is the program and its arguments: said so, without a .NET type.
        using var stringEntrypoint = await _http.PostAsync(new Uri($"{Url}/api/jobs"), new StringContent("{\"entrypoint\":\"echo hi\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, stringEntrypoint.StatusCode);
        var stringError = await ErrorOf(stringEntrypoint);
        Assert.Contains("entrypoint must be an array of strings", stringError, StringComparison.Ordinal);
        Assert.Contains("[\"sh\", \"-c\", \"echo hi\"]", stringError, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", stringError, StringComparison.Ordinal);

        using var badId = await _http.PostAsJsonAsync(new Uri($"{Url}/api/jobs"), new { entrypoint = new[] { "true" }, jobId = "../escape" });
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Contains("jobId '../escape'", await ErrorOf(badId), StringComparison.Ordinal);

        using var noPackage = await _http.PostAsJsonAsync(new Uri($"{Url}/api/jobs"), new { entrypoint = new[] { "true" }, workingDir = new string('a', 64) });
        Assert.Equal(HttpStatusCode.BadRequest, noPackage.StatusCode);
        Assert.Contains("no such package", await ErrorOf(noPackage), StringComparison.Ordinal);

        // A job without a working dir gets an empty folder of its own; its id is then taken.
        var jobId = NewJobId();
        using var first = await _http.PostAsJsonAsync(new Uri($"{Url}/api/jobs"), new { entrypoint = new[] { "true" }, jobId });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var taken = await _http.PostAsJsonAsync(new Uri($"{Url}/api/jobs"), new { entrypoint = new[] { "true" }, jobId });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Contains($"jobId '{jobId}': the cluster already has a job of that id", await ErrorOf(taken), StringComparison.Ordinal);

        using var badOffset = await _http.GetAsync(new Uri($"{Url}/api/jobs/any/logs?offset=-1"));
        Assert.Equal(HttpStatusCode.BadRequest, badOffset.StatusCode);

        using var unknown = await _http.GetAsync(new Uri($"{Url}/api/jobs/no-such-job"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no job no-such-job", await ErrorOf(unknown), StringComparison.Ordinal);

        // The dashboard's list is still there, same shape.
        using var list = await _http.GetAsync(new Uri($"{Url}/api/jobs"));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var document = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("jobs").ValueKind);
    }

    private static string NewJobId() => "http-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetString() ?? string.Empty;
    }

    private static int JobPid(ProcessResult status)
    {
        var match = PidLine().Match(status.Output);
        Assert.True(match.Success, status.ToString());
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A fresh folder outside the repository, removed after the test.</summary>
    private string WorkingDir()
    {
        var folder = Path.Combine(Path.GetTempPath(), "orc-wd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        _folders.Add(folder);
        return folder;
    }

    private async Task<ProcessResult> WaitForStateAsync(string jobId, string state, string? alsoContains = null)
    {
        ProcessResult? status = null;
        await Poll.UntilAsync(
            async () =>
            {
                status = await RemoteAsync("job", "status", jobId, "--address", Url);
                return status.Output.StartsWith($"Job '{jobId}': {state}", StringComparison.Ordinal)
                    && (alsoContains is null || status.Output.Contains(alsoContains, StringComparison.Ordinal));
            },
            JobDeadline,
            $"job {jobId} to be {state}",
            () => status?.ToString() ?? "(no status yet)");
        return status!;
    }

    [GeneratedRegex(@"Driver\s+pid (\d+) on")]
    private static partial Regex PidLine();
}
