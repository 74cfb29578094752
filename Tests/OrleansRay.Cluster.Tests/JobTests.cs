using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray job submit | list | logs | stop</c> against the shared real cluster, with the TestApp as the
/// driver program (it connects with <c>Address = "auto"</c>, i.e. the <c>ORLEANSRAY_ADDRESS</c> the job gets).</summary>
[Collection(ClusterCollection.Name)]
public sealed class JobTests : IAsyncLifetime
{
    private static readonly TimeSpan JobDeadline = TimeSpan.FromSeconds(60);

    private readonly SharedCluster _shared;

    public JobTests(SharedCluster shared)
    {
        _shared = shared;
    }

    private LocalCluster Cluster => _shared.Cluster;

    public Task InitializeAsync() => _shared.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_submitted_driver_runs_as_its_job_and_its_end_is_recorded_with_nobody_waiting()
    {
        var jobId = NewJobId();

        var submit = await Cluster.RunAsync(["job", "submit", "--address", Cluster.Address, "--job-id", jobId, "--", .. TestAppDriver.Command("squares", "10")]);

        Assert.True(submit.ExitCode == 0, submit.ToString());
        Assert.Contains($"Job '{jobId}' submitted successfully", submit.Output, StringComparison.Ordinal);
        // Its output goes to Ray's driver-log name in the session's log folder.
        Assert.NotEmpty(Directory.EnumerateFiles(Cluster.TempDirectory, $"job-driver-{jobId}.log", SearchOption.AllDirectories));
        // The supervisor records the end; nobody waits here.
        var list = await WaitForStateAsync(jobId, "SUCCEEDED");
        Assert.Contains("exit code 0", Row(list.Output, jobId), StringComparison.Ordinal);
        var logs = await Cluster.RunAsync("job", "logs", jobId);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        // The driver's tasks ran on the cluster's nodes (Work.Square is loaded there, not in the driver's job alone).
        Assert.Contains("sum of squares 1..10 = 385", logs.Output, StringComparison.Ordinal);
        // The TestApp's ordinary grain, from the submitted driver and from a task of its shipped code (issue 14.5).
        Assert.Contains("tally from driver and task = 20", logs.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_jobs_log_and_status_logs_line_are_the_heads_session_though_session_latest_is_a_workers()
    {
        // Every `start` makes a session; the workers started after the head, so session_latest is a worker's.
        var headLogs = Path.GetDirectoryName(Cluster.Head.LogFile) ?? throw new InvalidOperationException($"the head's pid file names no log: {Cluster.Head}");
        var latest = new DirectoryInfo(Path.Combine(Cluster.TempDirectory, "session_latest")).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        Assert.True(latest is not null && Path.GetFullPath(Path.Combine(headLogs, "..")) != latest, $"session_latest ({latest}) should be a worker's session, not the head's ({headLogs})");
        var jobId = NewJobId();

        var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--", .. TestAppDriver.Command("squares", "3")]);

        Assert.True(submit.ExitCode == 0, submit.ToString());
        var log = Path.Combine(headLogs, $"job-driver-{jobId}.log");
        Assert.Contains(log, submit.Output, StringComparison.Ordinal); // its "Log" line
        Assert.True(File.Exists(log), $"{log} is missing: {submit}");
        Assert.Empty(Directory.EnumerateFiles(latest, $"job-driver-{jobId}.log", SearchOption.AllDirectories));
        await WaitForStateAsync(jobId, "SUCCEEDED");

        var status = await Cluster.RunAsync("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"Logs: {headLogs} (the head at {Cluster.Address})", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_follows_the_output_and_a_nonzero_exit_is_failed_even_after_the_driver_closed_its_row()
    {
        var jobId = NewJobId();

        // The TestApp disposes its driver (which closes the job's row as succeeded), then exits with code 4.
        var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--wait", "--", .. TestAppDriver.Command("exit", "4")]);

        Assert.True(submit.ExitCode == 4, submit.ToString());
        Assert.Contains("square 3 = 9", submit.Output, StringComparison.Ordinal);
        Assert.Contains($"Job '{jobId}' FAILED (exit code 4)", submit.Output, StringComparison.Ordinal);
        var list = await Cluster.RunAsync("job", "list");
        Assert.Equal("FAILED", StateOf(list.Output, jobId));
        Assert.Contains("exit code 4", Row(list.Output, jobId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_whose_driver_crashes_with_an_exception_is_failed_with_that_exception_not_only_its_exit_code()
    {
        var jobId = NewJobId();
        var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--wait", "--", .. TestAppDriver.Command("throw")]);

        Assert.True(submit.ExitCode != 0, submit.ToString());
        var status = await Cluster.RunAsync("job", "status", jobId);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("FAILED", status.Output, StringComparison.Ordinal);
        // Before, the message was the exit code alone ("exit code 134"): the exception was only in the job's log.
        Assert.Contains("exit code 134: Unhandled exception. System.InvalidOperationException: TestApp throw verb: an unhandled exception ends the driver", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_ends_a_running_job_by_its_process_group_and_the_table_shows_it_stopped()
    {
        var jobId = NewJobId();
        var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--", .. TestAppDriver.Command("wait")]);
        Assert.True(submit.ExitCode == 0, submit.ToString());
        // `dotnet app.dll` is the job's process; the driver connects, then prints "connected".
        await Poll.UntilAsync(
            async () => (await Cluster.RunAsync("job", "logs", jobId)).Output.Contains("connected", StringComparison.Ordinal),
            JobDeadline,
            $"job {jobId} to connect");
        var pid = await JobPidAsync(jobId);

        var stop = await Cluster.RunAsync("job", "stop", jobId);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"Stopped job {jobId}", stop.Output, StringComparison.Ordinal);
        Assert.False(OrleansRayCommand.IsRunning(pid), $"job process {pid} still runs");
        var list = await Cluster.RunAsync("job", "list");
        Assert.Equal("STOPPED", StateOf(list.Output, jobId));
        // The supervisor saw the exit and left STOPPED alone.
        await Poll.UntilAsync(() => File.ReadAllText(JobFile(jobId)).Contains("\"STOPPED\"", StringComparison.Ordinal), JobDeadline, "the supervisor to record the stop");
        Assert.Equal("STOPPED", StateOf((await Cluster.RunAsync("job", "list")).Output, jobId));
    }

    [Fact]
    public async Task What_a_finished_job_left_running_in_its_process_group_is_stopped()
    {
        var jobId = NewJobId();
        var pidFile = Path.Combine(Cluster.TempDirectory, jobId + ".leftover.pid");
        var leftover = 0;
        try
        {
            // The job's command exits at once and leaves a background process behind (as `dotnet run` leaves MSBuild
            // nodes and the compiler server).
            var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--", "/bin/sh", "-c", $"sleep 600 & echo $! > '{pidFile}'"]);
            Assert.True(submit.ExitCode == 0, submit.ToString());
            await WaitForStateAsync(jobId, "SUCCEEDED");
            leftover = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

            await Poll.UntilAsync(() => Task.FromResult(HasEnded(leftover)), JobDeadline, $"the job's leftover process {leftover} to be stopped");
            var supervisorLog = Directory.EnumerateFiles(Cluster.TempDirectory, $"job-driver-{jobId}.supervisor.log", SearchOption.AllDirectories).Single();
            await Poll.UntilAsync(
                () => Task.FromResult(File.ReadAllText(supervisorLog).Contains($"processes it left in its process group", StringComparison.Ordinal)),
                JobDeadline,
                "the supervisor to say it stopped the leftovers");
        }
        finally
        {
            if (leftover > 0 && !HasEnded(leftover))
            {
                using var process = System.Diagnostics.Process.GetProcessById(leftover);
                process.Kill();
            }
        }
    }

    /// <summary>Gone, or a zombie nobody has reaped yet (an orphan's reaper is this machine's init).</summary>
    private static bool HasEnded(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Job_list_and_list_jobs_call_a_jobs_state_Status_as_Ray_does()
    {
        var jobId = NewJobId();
        var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--wait", "--", "/bin/sh", "-c", "exit 0"]);
        Assert.True(submit.ExitCode == 0, submit.ToString());

        var jobList = await Cluster.RunAsync("job", "list");
        var listJobs = await Cluster.RunAsync("list", "jobs");

        Assert.True(jobList.ExitCode == 0 && listJobs.ExitCode == 0, $"{jobList}\n{listJobs}");
        Assert.Equal(["Job", "Status"], Header(jobList.Output).Take(2));
        Assert.Equal(["Job", "Status"], Header(listJobs.Output).Take(2));
    }

    [Fact]
    public async Task A_job_run_here_with_a_working_dir_gets_it_as_its_drivers_default_and_one_without_gets_none()
    {
        var folder = Path.Combine(Cluster.TempDirectory, "wd-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        string[] print = ["--", "/bin/sh", "-c", "echo \"wd=[$ORLEANSRAY_JOB_WORKING_DIR]\""];

        var with = await Cluster.RunAsync(["job", "submit", "--job-id", NewJobId(), "--working-dir", folder, "--wait", .. print]);
        var without = await Cluster.RunAsync(["job", "submit", "--job-id", NewJobId(), "--wait", .. print]);

        Assert.True(with.ExitCode == 0 && without.ExitCode == 0, $"{with}\n{without}");
        Assert.Contains($"wd=[{folder}]", with.Output, StringComparison.Ordinal);
        Assert.Contains("wd=[]", without.Output, StringComparison.Ordinal);
    }

    /// <summary>The column names of a table (ASCII when redirected: "| Job | Status | ...").</summary>
    private static string[] Header(string output) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith("| Job ", StringComparison.Ordinal))?.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        ?? throw new InvalidOperationException("no table header in:\n" + output);

    [Theory]
    [InlineData(new[] { "job", "submit" }, "error: give the command to run after --")]
    [InlineData(new[] { "job", "submit", "--job-id", "no spaces", "--", "true" }, "error: --job-id no spaces:")]
    [InlineData(new[] { "job", "submit", "--", "no-such-program-here" }, "error: no-such-program-here: no such program")]
    [InlineData(new[] { "job", "logs", "no-such-job" }, "error: no job no-such-job")]
    [InlineData(new[] { "job", "stop", "no-such-job" }, "error: no job no-such-job")]
    public async Task Bad_input_is_one_line_with_exit_code_2(string[] arguments, string expected)
    {
        var result = await Cluster.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_without_a_command_shows_the_running_heads_dashboard_url_not_the_default_port()
    {
        // The shared head's dashboard is on a test port, never 8265: the example must be the URL that works here.
        var result = await Cluster.RunAsync("job", "submit");

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"`orleansray job submit --address {Cluster.DashboardUrl} -- dotnet run --project MyApp`", line, StringComparison.Ordinal);

        // A URL given with --address is the one shown.
        var given = await Cluster.RunAsync("job", "submit", "--address", "http://10.0.0.5:9999");
        Assert.True(given.ExitCode == 2, given.ToString());
        Assert.Contains("`orleansray job submit --address http://10.0.0.5:9999 -- dotnet run", given.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_of_a_driver_run_directly_on_this_machine_say_it_was_not_submitted_and_where_its_output_went()
    {
        // A connected driver in this process: a job in the table, but no job log (its output is its own console).
        await using var ray = await Drivers.Driver.ConnectAsync(Cluster);
        var jobs = await ray.State.ListJobsAsync(new StateListOptions { Filters = [new StateFilter("state", StatePredicate.Equal, "RUNNING")] });
        var job = jobs.Rows.Where(j => j.Pid == Environment.ProcessId).MaxBy(j => j.StartedAt);
        Assert.NotNull(job);

        var logs = await Cluster.RunAsync("job", "logs", job.JobId);

        Assert.True(logs.ExitCode == 1, logs.ToString());
        var line = Assert.Single(logs.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"job {job.JobId} was not submitted with `orleansray job submit`", line, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId} on this machine) was run directly", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_of_a_job_submitted_to_an_earlier_session_say_that_stop_deleted_them()
    {
        // A head restarted on --storage keeps the job table's rows, while `orleansray stop` deleted the earlier session's
        // job files: a reviewer's `job logs` then said the job "was not submitted on the head" and its output was "there".
        await using var ray = await Drivers.Driver.ConnectAsync(Cluster);
        var jobId = NewJobId();
        var at = DateTimeOffset.UtcNow;
        await ray.GrainFactory.GetGrain<OrleansRay.Grains.IJobTableGrain>(0).StartAsync(new OrleansRay.Grains.JobInfo
        {
            JobId = jobId, Host = Environment.MachineName, Pid = 4242, Entrypoint = "dotnet run", StartedAt = at, EndedAt = at,
            State = OrleansRay.Grains.JobState.Succeeded, Message = "exit code 0", Submitted = true,
        });

        var expected = $"job {jobId} has no job file on this machine, where it was submitted: it belongs to an earlier session of the cluster, whose files `orleansray stop` or `down` deleted";
        var local = await Cluster.RunAsync("job", "logs", jobId);
        Assert.True(local.ExitCode != 0, local.ToString());
        Assert.Contains(expected, Assert.Single(local.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);

        var http = await Cluster.RunAsync("job", "logs", jobId, "--address", Cluster.DashboardUrl);
        Assert.True(http.ExitCode != 0, http.ToString());
        Assert.Contains(expected, http.Error, StringComparison.Ordinal);

        // A stop has nothing to stop there, and says so rather than pointing at its files.
        var stop = await Cluster.RunAsync("job", "stop", jobId);
        Assert.True(stop.ExitCode != 0, stop.ToString());
        Assert.Contains($"job {jobId} has no job file on this machine, where it was submitted", stop.Error, StringComparison.Ordinal);
        Assert.Contains("nothing of it runs here to stop", stop.Error, StringComparison.Ordinal);
    }

    private static string NewJobId() => "test-" + Guid.NewGuid().ToString("N")[..8];

    private string JobFile(string jobId) => Path.Combine(Cluster.TempDirectory, "jobs", jobId + ".json");

    private async Task<int> JobPidAsync(string jobId)
    {
        using var record = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(JobFile(jobId)));
        return record.RootElement.GetProperty("Pid").GetInt32();
    }

    private async Task<ProcessResult> WaitForStateAsync(string jobId, string state)
    {
        ProcessResult? list = null;
        await Poll.UntilAsync(
            async () => StateOf((list = await Cluster.RunAsync("job", "list")).Output, jobId) == state,
            JobDeadline,
            $"job {jobId} to be {state}",
            () => list?.ToString() ?? "(no list yet)");
        return list!;
    }

    /// <summary>The table row of a job in <c>job list</c>'s output (ASCII when redirected: "| id | STATE | ...").</summary>
    private static string Row(string listOutput, string jobId) =>
        listOutput.Split('\n').FirstOrDefault(l => l.StartsWith($"| {jobId} ", StringComparison.Ordinal)) ?? string.Empty;

    private static string? StateOf(string listOutput, string jobId) =>
        Row(listOutput, jobId) is { Length: > 0 } row ? row.Split('|', StringSplitOptions.TrimEntries)[2] : null;
}
