using OrleansRay.Hosting;
using OrleansRay.Node;

namespace OrleansRay;

/// <summary>The driver's IRay: disposing it ends the job (kills its non-detached actors; the nodes, seeing the job ended,
/// cancel its tasks) and stops the embedded node.</summary>
internal sealed class RayDriver : RayInstance
{
    private readonly IAsyncDisposable? _cluster;
    private readonly List<ActorId> _actors = new();
    private int _disposed;

    /// <summary>Cancelled when this driver's disposal begins (<see cref="Disposing"/>).</summary>
    private readonly CancellationTokenSource _disposing = new();
    private int _jobStarted;
    private bool _logToDriver;

    /// <summary>How long a connected driver that ends its job waits for the task output the nodes still hold for it
    /// (<see cref="Grains.INodeEndpoint.DrainTaskOutputAsync"/>): 10 s.</summary>
    internal static readonly TimeSpan TaskOutputDrainDeadline = TimeSpan.FromSeconds(10);

    /// <summary>How long a node may take to say what task output it holds for a driver that ends its job: 2 s (a paused
    /// or dying node costs a driver's end no more).</summary>
    internal static readonly TimeSpan TaskOutputProbeDeadline = TimeSpan.FromSeconds(2);

    public RayDriver(NodeRuntime runtime, string @namespace, IAsyncDisposable? cluster) : base(runtime, @namespace)
    {
        _cluster = cluster;
    }

    /// <summary>Environment variable that names the job a driver runs as (set by `orleansray job submit`).</summary>
    public const string JobIdVariable = "ORLEANSRAY_JOB_ID";

    /// <summary>True when `orleansray job submit` started this driver (its supervisor records the job's end).</summary>
    public bool Submitted { get; } = Environment.GetEnvironmentVariable(JobIdVariable) is { Length: > 0 };

    /// <summary>This driver's job id.</summary>
    public string JobId { get; } = Environment.GetEnvironmentVariable(JobIdVariable) is { Length: > 0 } id ? id : "job-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Adds this driver's row to the job table (best effort: a driver runs even if the table is unreachable).</summary>
    /// <param name="embedded">The driver runs its own node.</param>
    /// <param name="logToDriver">A connected driver wants its tasks' output (<see cref="RayOptions.LogToDriver"/>).</param>
    public async Task StartJobAsync(bool embedded, bool logToDriver = false)
    {
        Volatile.Write(ref _jobStarted, 1);
        _logToDriver = logToDriver && !embedded;
        JobIds.Remember(Runtime.WorkerId, JobId); // RayContext.JobId inside this driver's tasks here, row or not
        var commandLine = Environment.CommandLine;
        var job = new Grains.JobInfo
        {
            JobId = JobId,
            Driver = Runtime.WorkerId.ToString(),
            Host = Environment.MachineName,
            Pid = Environment.ProcessId,
            Entrypoint = commandLine.Length > 500 ? commandLine[..500] + "…" : commandLine,
            Namespace = Namespace,
            StartedAt = DateTimeOffset.UtcNow,
            State = Grains.JobState.Running,
            Embedded = embedded,
            Code = (_cluster as ConnectedCluster)?.Code.PackageId ?? string.Empty,
            Endpoint = embedded ? null : Runtime.Node.Endpoint,
            LogToDriver = logToDriver && !embedded,
        };
        try
        {
            await Runtime.GrainFactory.GetGrain<Grains.IJobTableGrain>(0).StartAsync(job).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            if (!embedded && !Submitted && _cluster is Hosting.ConnectedCluster connected)
            {
                // A crash must not leave the row SUCCEEDED (see DriverCrashWatch).
                DriverCrashWatch.Track(this, connected.Address, connected.AuthToken);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The job table is for people watching the cluster; the driver works without its row.
        }
    }

    public override void TrackActor(ActorId actorId, bool detached)
    {
        if (!detached)
        {
            lock (_actors)
            {
                _actors.Add(actorId);
            }
        }
    }

    /// <summary>Also from the moment this driver's disposal begins: its job is ending (its actors are being killed), so
    /// work through it is refused as after the node stopped: an actor created now would escape the kill, and a read now
    /// would report the kill as its actor's own death (Train would blame a rank for the driver's shutdown).</summary>
    public override void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw Transport.LocalNode.ShutDown();
        }

        base.ThrowIfDisposed();
    }

    /// <summary>Drops this driver's connection as a killed process drops it: its job is not ended, its actors are not
    /// killed, and its node is not told to free what it put; the cluster finds out as it finds out about a killed
    /// driver (the job table marks the job failed once the driver stops reporting). For tests of that path in one
    /// process; a later <see cref="DisposeAsync"/> does nothing.</summary>
    internal async ValueTask DropAsIfKilledAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = _disposing.CancelAsync(); // its waiters resume elsewhere, not inside this dispose

        Ray.Unregister(this);
        Runtime.Objects.FreedElsewhere = null; // a killed process tells no node to delete what it owned
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override CancellationToken Disposing => _disposing.Token;

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Before its actors are killed: a get of one of their calls that was waiting ends as the driver's disposal.
        Runtime.Reader.Objects.MarkClosing();
        _ = _disposing.CancelAsync(); // its waiters resume elsewhere, not inside this dispose

        Ray.Unregister(this);
        if (Runtime.Node.IsLost)
        {
            // The cluster was given up (ClusterLossWatch): nothing there answers a kill or a goodbye, and the crash watch
            // has no job row to correct; the cluster, if it still runs, ends the job as a vanished driver's.
            DriverCrashWatch.Forget(this);
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync().ConfigureAwait(false);
            }

            return;
        }

        (_cluster as Hosting.ConnectedCluster)?.Leaving(); // the job it ends below is no news to its loss watch
        if (_logToDriver)
        {
            await DrainTaskOutputAsync().ConfigureAwait(false);
        }

        ActorId[] actors;
        lock (_actors)
        {
            actors = _actors.ToArray();
        }

        try
        {
            await Task.WhenAll(actors.Select(a => Runtime.Actors.KillAsync(a, noRestart: true, "its driver (job) ended"))).ConfigureAwait(false);
        }
        catch (Exception) when (_cluster is not null)
        {
            // The embedded node stops next and takes every actor with it; a kill that failed changes nothing.
        }

        if (Runtime.Values.DriverPuts is { } puts)
        {
            try
            {
                // The node deletes what this driver put into its store (Ray frees an exiting owner's objects); should
                // this not reach it, the node frees them once the job table shows the job ended.
                await puts.ReleaseAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
            }
        }

        try
        {
            // A submitted job (`orleansray job submit` set ORLEANSRAY_JOB_ID) is closed by its supervisor, by exit code;
            // a driver whose job never started (its node never came up) has no row to close.
            if (!Submitted && Volatile.Read(ref _jobStarted) != 0)
            {
                await Runtime.GrainFactory.GetGrain<Grains.IJobTableGrain>(0).EndAsync(JobId, Grains.JobState.Succeeded, null).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                // An exception on its way out of Main may have run this dispose: the watch turns the row FAILED if the
                // process then crashes.
                DriverCrashWatch.Disposed(this);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Best effort, as at start; a connected driver that cannot say goodbye is marked failed when it stops reporting.
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Before the job ends (and the nodes drop what they hold for it): waits for the task output the nodes
    /// hold for this driver, so a job whose tasks printed faster than the driver received keeps that output in its
    /// console and job log. Every live node is first asked what it holds (an answer within
    /// <see cref="TaskOutputProbeDeadline"/>: a node that holds nothing costs one round trip); only those that hold some
    /// are waited for, up to <see cref="TaskOutputDrainDeadline"/>. What does not arrive, and the nodes that did not
    /// answer, are told on standard error, naming the nodes whose logs have the lines.</summary>
    private async Task DrainTaskOutputAsync()
    {
        var driver = Runtime.WorkerId;
        var nodes = Runtime.Cluster.Refresh.Nodes;
        var looks = nodes.Select(node => node.Endpoint.DrainTaskOutputAsync(driver, TimeSpan.Zero).WaitAsync(TaskOutputProbeDeadline)).ToArray();
        await ((Task)Task.WhenAll(looks)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // each one's fate is read below
        var silent = nodes.Where((_, i) => !looks[i].IsCompletedSuccessfully).Select(n => n.Id).ToList();
        var holding = nodes.Where((_, i) => looks[i].IsCompletedSuccessfully && looks[i].Result > 0).ToArray();
        var drains = holding.Select(node => node.Endpoint.DrainTaskOutputAsync(driver, TaskOutputDrainDeadline).WaitAsync(TaskOutputDrainDeadline + TaskOutputProbeDeadline)).ToArray();
        await ((Task)Task.WhenAll(drains)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        silent.AddRange(holding.Where((_, i) => !drains[i].IsCompletedSuccessfully).Select(n => n.Id));
        var left = holding.Select((node, i) => (node.Id, Left: drains[i].IsCompletedSuccessfully ? drains[i].Result : 0)).Where(l => l.Left > 0).ToList();
        if (left.Count > 0)
        {
            var lines = left.Sum(l => (long)l.Left);
            await Console.Error.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"[orleansray] {lines} line{(lines == 1 ? string.Empty : "s")} of task output did not reach the driver within {TaskOutputDrainDeadline.TotalSeconds:0} s of its end; they are in the log of node {string.Join(", ", left.Select(l => l.Id))} (`orleansray logs`)")).ConfigureAwait(false);
        }

        if (silent.Count > 0)
        {
            await Console.Error.WriteLineAsync(
                $"[orleansray] node {string.Join(", ", silent)} did not answer as the driver ended its job: task output it held for this driver, if any, is in its log (`orleansray logs`)").ConfigureAwait(false);
        }
    }
}
