using Xunit;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>The training acceptance cluster (issue 16, the seed's example): a head with 2 CPUs and two workers with 1 CPU
/// each, 4 CPUs in all, shared by the tests of <see cref="TrainClusterCollection"/>. The shared cluster (2 + 2 + 2) has
/// the wrong shape: 4 workers must fill this one exactly and a 5th must not fit. Tests may kill workers: each test
/// starts with <see cref="ResetAsync"/>, which brings back as many 1-CPU workers as it needs, all alive.</summary>
public sealed class TrainCluster : IAsyncLifetime
{
    /// <summary>CPUs of the head; each worker has 1.</summary>
    public const double HeadCpus = 2;

    /// <summary>1-CPU workers besides the head.</summary>
    public const int BaseWorkers = 2;

    private readonly List<ClusterNode> _workers = [];
    private LocalCluster? _cluster;

    public LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("The training cluster did not start.");

    /// <summary>The 1-CPU workers of the base shape (replacements of killed ones included).</summary>
    public IReadOnlyList<ClusterNode> Workers => _workers.ToList();

    /// <summary>How long the cluster took to start (seconds), for the tests' timing report.</summary>
    public double StartSeconds { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = BaseWorkers, NumCpus = 1, HeadNumCpus = HeadCpus });
        _workers.AddRange(_cluster.Nodes.Where(n => !n.IsHead));
        StartSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>Head and at least <paramref name="workers"/> 1-CPU workers alive (default: the whole base shape):
    /// missing ones are started again; returns once status lists exactly the running nodes alive. When no node died since
    /// the last call and none is missing, status already said so and nothing is started or asked.</summary>
    /// <param name="workers">How many 1-CPU workers the test needs, 1 to <see cref="BaseWorkers"/>: a test that only
    /// needs a worker to kill does not wait for one killed before it to be replaced.</param>
    public async Task ResetAsync(int workers = BaseWorkers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, BaseWorkers);
        var cluster = Cluster;
        if (!cluster.Head.IsRunning)
        {
            throw new InvalidOperationException($"The training cluster's head died ({cluster.Head}); see its log under {cluster.TempDirectory}.");
        }

        var dead = _workers.Where(w => !w.IsRunning).ToList();
        foreach (var worker in dead)
        {
            _workers.Remove(worker);
        }

        var missing = Math.Max(0, workers - _workers.Count);
        if (dead.Count == 0 && missing == 0)
        {
            return;
        }

        _workers.AddRange(await Task.WhenAll(Enumerable.Range(0, missing).Select(_ => cluster.StartWorkerAsync())));
        await cluster.WaitForAliveNodesAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>Tests that share one <see cref="TrainCluster"/> (one after another, as the tests of one xunit collection always run).</summary>
[CollectionDefinition(Name)]
public sealed class TrainClusterCollection : ICollectionFixture<TrainCluster>
{
    public const string Name = "Train cluster: head 2 CPUs + 2 workers of 1 CPU";
}
