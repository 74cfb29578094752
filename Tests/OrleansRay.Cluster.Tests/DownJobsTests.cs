using System.Globalization;
using System.Text.Json;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary><c>orleansray down CONFIG</c> stops the jobs of its cluster as <c>orleansray stop</c> does (Ray's
/// <c>ray down</c> ends the job drivers too): a job submitted on this machine and one submitted over HTTP to the head, with
/// their supervisors; their job files go with the logs, so the next cluster takes their ids and every job verb agrees
/// that the old job is gone. Every process the test sees (nodes in the pid files, jobs and supervisors in the job
/// files) is killed in <c>finally</c> even when an assertion fails.</summary>
public sealed class DownJobsTests
{
    private static readonly TimeSpan KillDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Down_stops_the_jobs_of_its_cluster_and_removes_their_files_so_the_next_cluster_takes_their_ids()
    {
        using var command = new OrleansRayCommand("odj-");
        var config = Path.Combine(command.TempDirectory, "c1.yaml");
        var jobProcesses = new List<ProcessTree.Identity>();
        try
        {
            var dashboard = WriteConfig(config);
            var up = await command.RunAsync("up", config);
            Assert.True(up.ExitCode == 0, up.ToString());

            // One job submitted on this machine (to the address file's cluster), one over HTTP to the head's job API.
            var local = await command.RunAsync("job", "submit", "--job-id", "longjob2", "--", "/bin/sh", "-c", "echo started; exec sleep 600");
            Assert.True(local.ExitCode == 0, local.ToString());
            jobProcesses.AddRange(ProcessesOf(command, "longjob2"));
            var uploadFolder = Directory.CreateDirectory(Path.Combine(command.TempDirectory, "http-job")).FullName;
            var overHttp = await command.RunAsync("job", "submit", "--address", dashboard, "--working-dir", uploadFolder, "--job-id", "httpjob", "--", "/bin/sh", "-c", "exec sleep 600");
            Assert.True(overHttp.ExitCode == 0, overHttp.ToString());
            jobProcesses.AddRange(ProcessesOf(command, "httpjob"));
            Assert.True(jobProcesses.Count == 4 && jobProcesses.All(ProcessTree.IsRunning), "expected two running jobs, each with its supervisor: " + string.Join(", ", jobProcesses));

            var down = await command.RunAsync("down", config);

            Assert.True(down.ExitCode == 0, down.ToString());
            Assert.Contains("Stopped job longjob2 (pid", down.Output, StringComparison.Ordinal);
            Assert.Contains("Stopped job httpjob (pid", down.Output, StringComparison.Ordinal);
            Assert.Contains("Cluster 'demo' is down: 2 job(s), 0 worker(s) and the head stopped; no process of it is left.", down.Output, StringComparison.Ordinal);
            // "No process of it is left" holds for the jobs and their supervisors, not only the nodes.
            var survivors = jobProcesses.Where(ProcessTree.IsRunning).ToList();
            Assert.True(survivors.Count == 0, $"`down` left {string.Join(", ", survivors)}\n{down}");
            // Their files went with the logs, as `stop` removes them.
            Assert.False(File.Exists(JobFile(command, "longjob2")), "down left the job file of longjob2");
            Assert.False(File.Exists(JobFile(command, "httpjob")), "down left the job file of httpjob");

            // The next cluster: the ids are free, and the job verbs agree the old job is gone.
            WriteConfig(config);
            var again = await command.RunAsync("up", config);
            Assert.True(again.ExitCode == 0, again.ToString());
            var logs = await command.RunAsync("job", "logs", "longjob2");
            Assert.True(logs.ExitCode == 2 && logs.Error.StartsWith("error: no job longjob2", StringComparison.Ordinal), logs.ToString());
            var status = await command.RunAsync("job", "status", "longjob2");
            Assert.True(status.ExitCode == 2 && status.Error.StartsWith("error: no job longjob2", StringComparison.Ordinal), status.ToString());
            var reused = await command.RunAsync("job", "submit", "--job-id", "longjob2", "--wait", "--", "/bin/sh", "-c", "echo second cluster");
            Assert.True(reused.ExitCode == 0 && reused.Output.Contains("second cluster", StringComparison.Ordinal), reused.ToString());
            var newLogs = await command.RunAsync("job", "logs", "longjob2");
            Assert.True(newLogs.ExitCode == 0 && newLogs.Output.Contains("second cluster", StringComparison.Ordinal), newLogs.ToString());
        }
        finally
        {
            foreach (var process in jobProcesses.Where(ProcessTree.IsRunning))
            {
                await ProcessTree.KillAsync(process, KillDeadline);
            }

            // The cluster up now (the first when an assertion failed before its down, else the second); the command's
            // dispose kills whatever node is still in the pid files.
            await command.RunAsync("down", config);
        }
    }

    /// <summary>The code `down` shares with `stop` still does `stop`'s part: the jobs this machine submitted stop with
    /// the nodes, and their files go.</summary>
    [Fact]
    public async Task Stop_stops_the_jobs_submitted_here_and_removes_their_files()
    {
        using var command = new OrleansRayCommand("odj-");
        var jobProcesses = new List<ProcessTree.Identity>();
        try
        {
            var head = await command.RunAsync("start", "--head", "--port", Port(), "--node-port", Port(), "--dashboard-port", Port(), "--object-store-memory", "268435456");
            Assert.True(head.ExitCode == 0, head.ToString());
            var submit = await command.RunAsync("job", "submit", "--job-id", "longjob", "--", "/bin/sh", "-c", "exec sleep 600");
            Assert.True(submit.ExitCode == 0, submit.ToString());
            jobProcesses.AddRange(ProcessesOf(command, "longjob"));
            Assert.True(jobProcesses.Count == 2, "expected the job and its supervisor running: " + string.Join(", ", jobProcesses));

            var stop = await command.RunAsync("stop");

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.Contains("Stopped job longjob (pid", stop.Output, StringComparison.Ordinal);
            var survivors = jobProcesses.Where(ProcessTree.IsRunning).ToList();
            Assert.True(survivors.Count == 0, $"`stop` left {string.Join(", ", survivors)}\n{stop}");
            Assert.False(Directory.Exists(Path.Combine(command.TempDirectory, "jobs")), "stop left the jobs folder");
        }
        finally
        {
            foreach (var process in jobProcesses.Where(ProcessTree.IsRunning))
            {
                await ProcessTree.KillAsync(process, KillDeadline);
            }
        }
    }

    /// <summary>Writes a head-only config of cluster "demo" on fresh ports; returns its dashboard URL.</summary>
    private static string WriteConfig(string path)
    {
        var dashboardPort = Port();
        File.WriteAllText(path, $"""
            cluster_name: demo
            provider: {"{"}type: local{"}"}
            head_node_type: head
            available_node_types:
              head:
                resources: {"{"}CPU: 1{"}"}
                start_options:
                  port: {Port()}
                  node-port: {Port()}
                  dashboard-port: {dashboardPort}
                  object-store-memory: 268435456
            """);
        return "http://127.0.0.1:" + dashboardPort;
    }

    private static string JobFile(OrleansRayCommand command, string jobId) => Path.Combine(command.TempDirectory, "jobs", jobId + ".json");

    /// <summary>The running job process and supervisor its job file names (the submit returned once the job ran).</summary>
    private static List<ProcessTree.Identity> ProcessesOf(OrleansRayCommand command, string jobId)
    {
        using var record = JsonDocument.Parse(File.ReadAllText(JobFile(command, jobId)));
        var found = new List<ProcessTree.Identity>();
        foreach (var (property, what) in new[] { ("Pid", "job " + jobId), ("SupervisorPid", "supervisor of job " + jobId) })
        {
            var pid = record.RootElement.GetProperty(property).GetInt32();
            if (ProcessTree.Identify(pid, what) is { } process)
            {
                found.Add(process);
            }
        }

        return found;
    }

    private static string Port() => TestPorts.Free().ToString(CultureInfo.InvariantCulture);
}
