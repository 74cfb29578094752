using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansRay.Cluster.TestApp;
using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using OrleansRay.Train;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 16 on real node processes (the seed's example): a 3-node CLI cluster with 2 + 1 + 1 CPUs
/// (<see cref="TrainCluster"/>) runs <see cref="LinearTraining"/> data-parallel. 4 workers start 5 actors over the three
/// nodes (seen with <c>orleansray list actors</c> and the dashboard, progress in the job's logs); 5 workers stay pending
/// with the infeasible demand in <c>orleansray status</c>; kill -9 of a worker's node resumes from the last checkpoint
/// (MaxFailures = 1) or fails naming the rank (MaxFailures = 0).</summary>
[Collection(TrainClusterCollection.Name)]
[TestCaseOrderer(ByNameOrderer.TypeName, ByNameOrderer.AssemblyName)] // Five_, Four_ (whole cluster), then Kill_ (one worker each)
public sealed partial class TrainClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>The class names the state API lists the run's actors by.</summary>
    private static readonly string WorkerClass = typeof(TrainContext).FullName!;
    private const string CoordinatorClass = "OrleansRay.Train.TrainCoordinator";

    /// <summary>Workers of the runs whose node a test kills.</summary>
    private const int KillRunWorkers = 2;

    private readonly TrainCluster _train;
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = new();

    public TrainClusterTests(TrainCluster train, ITestOutputHelper output)
    {
        _train = train;
        _output = output;
    }

    private LocalCluster Cluster => _train.Cluster;

    private int _timelineFrom;

    public Task InitializeAsync()
    {
        _timelineFrom = _train.Cluster.Timeline.Count;
        return Task.CompletedTask;
    }

    /// <summary>Brings the cluster to the head and <paramref name="workers"/> 1-CPU workers at least (each test first):
    /// the Five_ and Four_ tests need the whole 2 + 1 + 1 shape, a Kill_ test one worker to kill.</summary>
    private async Task ResetAsync(int workers)
    {
        var reset = Stopwatch.StartNew();
        await _train.ResetAsync(workers);
        _output.WriteLine($"cluster reset took {reset.Elapsed.TotalSeconds:0.0} s; the cluster started in {_train.StartSeconds:0.0} s");
        _clock.Start();
    }

    public Task DisposeAsync()
    {
        _output.WriteLine($"test body took {_clock.Elapsed.TotalSeconds:0.0} s (after the cluster reset)\n{string.Join('\n', Cluster.Timeline.Skip(_timelineFrom))}");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Four_workers_on_2_1_1_CPUs_run_as_a_job_as_five_actors_over_the_three_nodes_shown_on_the_dashboard_with_progress_in_the_job_logs()
    {
        await ResetAsync(TrainCluster.BaseWorkers);
        using var run = new TrainRunFolder();
        var jobId = "train-" + Guid.NewGuid().ToString("N")[..8];
        var submit = await Cluster.RunAsync(["job", "submit", "--job-id", jobId, "--", .. TestAppDriver.Command("train", "4", run.Path, run.ReleaseFile)]);
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var logs = string.Empty;
        try
        {
            // Every rank reported epoch 1 and holds: the group is complete and running.
            await Poll.UntilAsync(() => run.Held(0).Count == 4, Deadline, "the 4 ranks to hold after epoch 1");

            var actors = await AliveTrainActorsCliAsync();
            var workers = actors.Where(a => a.ClassName == WorkerClass).ToList();
            Assert.True(workers.Count == 4 && actors.Count(a => a.ClassName == CoordinatorClass) == 1, $"4 workers and a coordinator alive: {Describe(actors)}");
            // PACK over 2 + 1 + 1 CPUs: two workers on the head, one on each worker node.
            Assert.Equal(2, workers.Count(w => Cluster.Head.Owns(w.Node)));
            Assert.All(_train.Workers, node => Assert.Equal(1, workers.Count(w => node.Owns(w.Node))));
            // The ranks ran where the actors are.
            Assert.Equal(workers.Select(w => w.Node).Order(StringComparer.Ordinal), run.Starts(0).Select(s => s.Node).Order(StringComparer.Ordinal));
            // Ranked node by node (Ray Train's order): each node's ranks are consecutive, so rank order changes node
            // exactly twice over 3 nodes (e.g. head, head, worker 1, worker 2).
            var nodeByRank = run.Starts(0).Select(s => s.Node).ToList();
            Assert.True(2 == nodeByRank.Zip(nodeByRank.Skip(1)).Count(p => p.First != p.Second), "nodes by rank: " + string.Join(", ", nodeByRank));

            // Point 6: the dashboard's actor API shows the same group.
            Assert.Equal(actors.Order(), (await DashboardTrainActorsAsync()).Order());

            // Progress under Jobs while it runs: the trainer prints rank 0's reports into the job's log, which the
            // dashboard's job API serves (GET /api/jobs/ID/logs).
            await Poll.UntilAsync(async () => ReportLine(logs = await LogsAsync(jobId), 1) is not null, Deadline, "report 1 in the job's logs", () => logs);

            run.Release();
            await WaitForJobAsync(jobId, "SUCCEEDED");
            logs = await LogsAsync(jobId);
            var losses = Enumerable.Range(1, 3).Select(epoch => Loss(ReportLine(logs, epoch) ?? throw new Xunit.Sdk.XunitException($"no report {epoch}:\n{logs}"))).ToList();
            Assert.True(losses[2] < losses[0], $"the loss falls: {string.Join(", ", losses)}");
            Assert.Contains("Training finished", logs, StringComparison.Ordinal);
            Assert.Contains("trained 3 epochs", logs, StringComparison.Ordinal);

            // The run cleans up after itself: no actor of it alive (the dashboard's actor API), its placement group gone.
            await Poll.UntilAsync(async () => (await DashboardTrainActorsAsync()).Count == 0, TimeSpan.FromSeconds(15), "the run's actors to leave the dashboard");
            var groups = await Cluster.RunAsync("list", "placement-groups", "--format", "json", "--filter", "name=train-linear");
            Assert.True(groups.ExitCode == 0, groups.ToString());
            Assert.Equal("[]", groups.Output.Trim());
        }
        catch
        {
            // What a failure needs to be understood: where the job is, what the cluster says, and each node's log.
            await WriteFailureDiagnosticsAsync(jobId, run);
            throw;
        }
        finally
        {
            run.Release();
            await StopJobIfRunningAsync(jobId);
            _output.WriteLine("--- job logs (as last read):\n" + logs);
        }
    }

    [Fact]
    public async Task Five_workers_on_4_CPUs_stay_pending_with_the_infeasible_demand_in_status_and_a_cancel_leaves_nothing()
    {
        await ResetAsync(TrainCluster.BaseWorkers);
        using var run = new TrainRunFolder();
        await using var ray = await Driver.ConnectAsync(Cluster);
        var progress = new Collected();
        var trainer = new DataParallelTrainer<LinearTrainConfig>(
            LinearTraining.Loop, run.Config(epochs: 3, holdAfterEpoch: 0), new ScalingConfig { NumWorkers = 5 },
            new RunConfig { Name = "five", StoragePath = run.Path, Progress = progress, Verbose = false });
        using var cancel = new CancellationTokenSource();
        var fit = trainer.FitAsync(ray, cancel.Token);
        try
        {
            // `orleansray status` shows the group as Ray's does: shape * count (strategy), pending, infeasible.
            ClusterStatus? status = null;
            await Poll.UntilAsync(
                async () => (status = await Cluster.StatusAsync()).Text.Contains("{\"CPU\": 1.0} * 5 (PACK): 1+ pending placement groups (infeasible", StringComparison.Ordinal),
                Deadline,
                "status to show the 5-bundle group pending and infeasible",
                () => status?.Text ?? "(no status)");
            _output.WriteLine(status!.Text);
            // The state API lists it PENDING with no bundle placed.
            var group = Assert.Single((await ray.State.ListPlacementGroupsAsync(StateListOptions.Where("name=train-five"))).Rows);
            Assert.Equal("PENDING", group.State);
            Assert.Equal(5, group.Bundles.Count);
            Assert.All(group.BundleNodes, n => Assert.Equal(string.Empty, n));
            // The trainer itself says what it waits for.
            await Poll.UntilAsync(() => progress.Items.Any(p => p.Kind == TrainProgressKind.PlacementPending && p.IsInfeasible), Deadline, "the trainer to report the infeasible placement");
            Assert.False(fit.IsCompleted, "the run waits");
            Assert.Empty(await AliveTrainActorsAsync(ray));

            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fit.WaitAsync(Deadline));

            await AssertNothingLeftAsync(ray, "train-five");
            // The dashboard's Cluster page reads the snapshot status prints: no pending group any more.
            using var cluster = JsonDocument.Parse(await Cluster.GetDashboardAsync("/api/cluster"));
            Assert.Equal(0, cluster.RootElement.GetProperty("pendingGroups").GetArrayLength());
        }
        finally
        {
            await cancel.CancelAsync();
            await Task.WhenAny(fit, Task.Delay(Deadline));
        }
    }

    [Fact]
    public async Task Kill_9_of_a_workers_node_with_MaxFailures_1_resumes_from_the_last_checkpoint_and_finishes()
    {
        await ResetAsync(1);
        using var run = new TrainRunFolder();
        await using var ray = await Driver.ConnectAsync(Cluster);
        var progress = new Collected();
        var fit = StartSpreadRun(ray, run, "resume", maxFailures: 1, progress);
        try
        {
            var (victim, rank) = await KillAWorkersNodeAsync(ray, run, fit);

            var result = await fit.WaitAsync(TimeSpan.FromSeconds(120));

            Assert.Null(result.Error);
            Assert.Equal(2, result.Attempts);
            // Resumed from the checkpoint of epoch 2, not from scratch: every rank of the second attempt started there,
            // on the surviving nodes, and the history has each epoch once.
            var resumed = run.Starts(1);
            Assert.Equal(KillRunWorkers, resumed.Count);
            Assert.All(resumed, s => Assert.Equal(2, s.StartEpoch));
            Assert.All(resumed, s => Assert.False(victim.Owns(s.Node), $"rank {s.Rank} restarted on the killed node {s.Node}"));
            Assert.Equal(new[] { 1.0, 2, 3, 4 }, result.MetricsHistory.Select(m => m["epoch"]));
            Assert.Equal(new[] { 0.0, 0, 2, 2 }, result.MetricsHistory.Select(m => m["start_epoch"]));
            Assert.True(result.Metrics["loss"] < result.MetricsHistory[0]["loss"], "the loss falls across the restart");
            Assert.NotNull(result.Checkpoint);
            _output.WriteLine($"killed {victim} (rank {rank}); finished in {result.Attempts} attempts, loss {result.MetricsHistory[0]["loss"]:G4} -> {result.Metrics["loss"]:G4}");
            await AssertNothingLeftAsync(ray, "train-resume");
        }
        finally
        {
            run.Release();
            await Task.WhenAny(fit, Task.Delay(Deadline));
            _output.WriteLine(progress.Text);
        }
    }

    [Fact]
    public async Task Kill_9_of_a_workers_node_with_MaxFailures_0_fails_the_run_naming_the_rank()
    {
        await ResetAsync(1);
        using var run = new TrainRunFolder();
        await using var ray = await Driver.ConnectAsync(Cluster);
        var progress = new Collected();
        var fit = StartSpreadRun(ray, run, "nofailures", maxFailures: 0, progress);
        try
        {
            var (victim, rank) = await KillAWorkersNodeAsync(ray, run, fit);

            var error = await Assert.ThrowsAsync<TrainingFailedException>(() => fit.WaitAsync(TimeSpan.FromSeconds(120)));

            _output.WriteLine(error.Message);
            Assert.Equal(rank, error.Rank);
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"rank {rank}"), error.Message, StringComparison.Ordinal);
            Assert.Equal(1, error.Attempts);
            Assert.Empty(run.Starts(1)); // no second attempt
            await AssertNothingLeftAsync(ray, "train-nofailures");
        }
        finally
        {
            run.Release();
            await Task.WhenAny(fit, Task.Delay(Deadline));
            _output.WriteLine(progress.Text);
        }
    }

    /// <summary>2 workers, SPREAD (on two nodes, so at least one 1-CPU worker node holds a rank; after it dies the head's
    /// second CPU or the other worker holds its bundle again), 4 epochs, holding after epoch 2 (whose checkpoint is the
    /// one to resume from). Needs the head and one 1-CPU worker: the first Kill_ test leaves one for the second.</summary>
    private static Task<TrainResult> StartSpreadRun(IRay ray, TrainRunFolder run, string name, int maxFailures, IProgress<TrainProgress> progress)
    {
        var trainer = new DataParallelTrainer<LinearTrainConfig>(
            LinearTraining.Loop,
            run.Config(epochs: 4, holdAfterEpoch: 2),
            new ScalingConfig { NumWorkers = KillRunWorkers, PlacementStrategy = PlacementStrategy.Spread },
            new RunConfig { Name = name, StoragePath = run.Path, FailureConfig = new FailureConfig { MaxFailures = maxFailures }, Progress = progress, Verbose = false });
        return trainer.FitAsync(ray);
    }

    /// <summary>Waits until the ranks hold after epoch 2, then kill -9 of a 1-CPU worker node that runs a rank and not
    /// the coordinator (the driver needs the coordinator to see the failure). Returns the node and its rank.</summary>
    private async Task<(ClusterNode Victim, int Rank)> KillAWorkersNodeAsync(IRay ray, TrainRunFolder run, Task<TrainResult> fit)
    {
        await HeldAsync(run, KillRunWorkers, fit);
        var actors = await AliveTrainActorsAsync(ray);
        var coordinator = actors.Single(a => a.ClassName == CoordinatorClass).Node;
        var starts = run.Starts(0);
        var victim = _train.Workers.FirstOrDefault(n => !n.Owns(coordinator) && starts.Any(s => n.Owns(s.Node)))
            ?? throw new Xunit.Sdk.XunitException($"No 1-CPU worker node runs a rank without the coordinator (on {coordinator}): ranks on {string.Join(", ", starts.Select(s => s.Node))}.");
        var rank = starts.Single(s => victim.Owns(s.Node)).Rank;
        await Cluster.KillAsync(victim);
        return (victim, rank);
    }

    /// <summary>Waits until <paramref name="ranks"/> ranks of the first attempt hold; a run that ended before is a
    /// failure with its own error.</summary>
    private static async Task HeldAsync(TrainRunFolder run, int ranks, Task fit)
    {
        await Poll.UntilAsync(() => run.Held(0).Count == ranks || fit.IsCompleted, Deadline, $"the {ranks} ranks to hold");
        if (fit.IsCompleted)
        {
            await fit; // throws the run's error
            Assert.Fail("The run finished without holding.");
        }
    }

    /// <summary>The run's actors alive now, by <c>orleansray list actors --format json</c>.</summary>
    private async Task<List<(string ClassName, string Node)>> AliveTrainActorsCliAsync()
    {
        var result = await Cluster.RunAsync("list", "actors", "--format", "json", "--filter", "state=ALIVE", "--limit", "10000");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.EnumerateArray()
            .Select(a => (ClassName: a.GetProperty("class_name").GetString()!, Node: a.GetProperty("node").GetString()!))
            .Where(a => a.ClassName == WorkerClass || a.ClassName == CoordinatorClass)
            .ToList();
    }

    /// <summary>The run's actors alive now, by the state API of a connected driver (what the CLI reads, without
    /// starting a process).</summary>
    private static async Task<List<(string ClassName, string Node)>> AliveTrainActorsAsync(IRay ray) =>
        (await ray.State.ListActorsAsync(StateListOptions.Where("state=ALIVE") with { Limit = 10000 })).Rows
            .Where(a => a.ClassName == WorkerClass || a.ClassName == CoordinatorClass)
            .Select(a => (a.ClassName, a.Node))
            .ToList();

    /// <summary>No actor of a run alive and its placement group gone, by the state API (removal is immediate; the
    /// actors' rows follow their kill within a node report).</summary>
    private static async Task AssertNothingLeftAsync(IRay ray, string group)
    {
        List<(string ClassName, string Node)> alive = [];
        await Poll.UntilAsync(async () => (alive = await AliveTrainActorsAsync(ray)).Count == 0, TimeSpan.FromSeconds(15), "the run's actors to be gone", () => Describe(alive));
        Assert.Empty((await ray.State.ListPlacementGroupsAsync(StateListOptions.Where("name=" + group))).Rows);
    }

    /// <summary>The run's actors alive now, as the dashboard's actor API (<c>GET /api/actors</c>) shows them.</summary>
    private async Task<List<(string ClassName, string Node)>> DashboardTrainActorsAsync()
    {
        using var page = JsonDocument.Parse(await Cluster.GetDashboardAsync("/api/actors"));
        return page.RootElement.GetProperty("actors").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "ALIVE")
            .Select(a => (ClassName: a.GetProperty("className").GetString()!, Node: a.GetProperty("node").GetString()!))
            .Where(a => a.ClassName == WorkerClass || a.ClassName == CoordinatorClass)
            .ToList();
    }

    /// <summary>What the job printed so far, as the dashboard's job API serves it (<c>GET /api/jobs/ID/logs</c>).</summary>
    private Task<string> LogsAsync(string jobId) => Cluster.GetDashboardAsync($"/api/jobs/{jobId}/logs");

    /// <summary>The job's state as the dashboard's job API has it (<c>GET /api/jobs/ID</c>): PENDING, RUNNING,
    /// SUCCEEDED, FAILED or STOPPED.</summary>
    private async Task<string> JobStateAsync(string jobId)
    {
        using var job = JsonDocument.Parse(await Cluster.GetDashboardAsync("/api/jobs/" + jobId));
        return job.RootElement.GetProperty("state").GetString()!;
    }

    private async Task WaitForJobAsync(string jobId, string state)
    {
        var last = string.Empty;
        await Poll.UntilAsync(async () => (last = await JobStateAsync(jobId)) is "SUCCEEDED" or "FAILED" or "STOPPED", TimeSpan.FromSeconds(90), $"job {jobId} to end", () => last);
        Assert.True(last == state, $"job {jobId} ended {last}, not {state}:\n{await LogsAsync(jobId)}");
    }

    /// <summary>Stops the job unless it ended (a job whose driver has not connected yet has no row: stopped too).</summary>
    private async Task StopJobIfRunningAsync(string jobId)
    {
        string state;
        try
        {
            state = await JobStateAsync(jobId);
        }
        catch (HttpRequestException)
        {
            state = "UNKNOWN";
        }

        if (state is not ("SUCCEEDED" or "FAILED" or "STOPPED"))
        {
            await Cluster.RunAsync("job", "stop", jobId);
        }
    }

    /// <summary>Writes the job's state and logs, the ranks' marks in the run folder, <c>orleansray status</c> and the last
    /// lines of every node's log to the test output; each part that cannot be read says why instead.</summary>
    private async Task WriteFailureDiagnosticsAsync(string jobId, TrainRunFolder run)
    {
        async Task<string> Read(Func<Task<string>> read)
        {
            try
            {
                return await read();
            }
            catch (Exception ex)
            {
                return $"(unreadable: {ex.GetType().Name}: {ex.Message})";
            }
        }

        _output.WriteLine("--- job state: " + await Read(() => JobStateAsync(jobId)));
        _output.WriteLine("--- job status (CLI):\n" + await Read(async () => (await Cluster.RunAsync("job", "status", jobId)).ToString()));
        _output.WriteLine("--- job logs:\n" + await Read(() => LogsAsync(jobId)));
        _output.WriteLine($"--- run folder: {run.Starts(0).Count} ranks started, {run.Held(0).Count} held after epoch 1");
        _output.WriteLine("--- status:\n" + await Read(async () => (await Cluster.StatusAsync()).Text));
        _output.WriteLine("--- nodes:\n" + Cluster.Diagnostics(120));
    }

    /// <summary>The trainer's line for report <paramref name="iteration"/> ("[train] Report 1: b=..., epoch=1, loss=...").</summary>
    private static string? ReportLine(string logs, int iteration) =>
        logs.Split('\n').FirstOrDefault(l => l.Contains(string.Create(CultureInfo.InvariantCulture, $"Report {iteration}: "), StringComparison.Ordinal)
            && l.Contains(string.Create(CultureInfo.InvariantCulture, $"epoch={iteration}"), StringComparison.Ordinal) && l.Contains("loss=", StringComparison.Ordinal));

    private static double Loss(string line) => double.Parse(LossValue().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"loss=([0-9.eE+-]+)")]
    private static partial Regex LossValue();

    private static string Describe(IEnumerable<(string ClassName, string Node)> actors) =>
        string.Join("; ", actors.Select(a => $"{a.ClassName} on {a.Node}"));

    /// <summary>Progress reports, kept as they come (Progress&lt;T&gt; would post them to a thread pool later).</summary>
    private sealed class Collected : IProgress<TrainProgress>
    {
        private readonly ConcurrentQueue<TrainProgress> _items = new();

        public IReadOnlyList<TrainProgress> Items => _items.ToList();

        public string Text => string.Join('\n', _items.Select(p => $"[{p.Kind} attempt {p.Attempt}] {p.Message}"));

        public void Report(TrainProgress value) => _items.Enqueue(value);
    }
}
