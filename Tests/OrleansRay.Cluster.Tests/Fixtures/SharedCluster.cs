using Xunit;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>One real cluster (head + 2 workers, memory storage) shared by the tests of <see cref="ClusterCollection"/>,
/// so a cluster is not started per test. Tests may kill, stop or add workers: each test starts with
/// <see cref="ResetAsync"/>, which brings the cluster back to the head and two plain workers, all alive.
/// (<see cref="PostgresServer.SharedClusterAsync"/> shares one on PostgreSQL the same way.)</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    /// <summary>Plain workers the tests expect besides the head.</summary>
    public const int BaseWorkers = 2;

    private readonly List<ClusterNode> _workers = [];
    private readonly LocalClusterOptions _options;
    private LocalCluster? _cluster;

    public SharedCluster()
        : this(new LocalClusterOptions { Workers = BaseWorkers })
    {
    }

    /// <summary>A shared cluster of <paramref name="options"/> (its <c>Workers</c> must be <see cref="BaseWorkers"/>).</summary>
    internal SharedCluster(LocalClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Workers != BaseWorkers)
        {
            throw new ArgumentException($"A shared cluster has {BaseWorkers} workers, not {options.Workers}.", nameof(options));
        }

        _options = options;
    }

    public LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("The shared cluster did not start.");

    /// <summary>The plain workers of the base shape (replacements of killed ones included).</summary>
    public IReadOnlyList<ClusterNode> Workers => _workers.ToList();

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(_options);
        _workers.AddRange(_cluster.Nodes.Where(n => !n.IsHead));
    }

    /// <summary>Head and <see cref="BaseWorkers"/> plain workers alive, nothing else: extra workers are stopped (SIGTERM),
    /// killed ones replaced; returns once status lists exactly those alive.</summary>
    public async Task ResetAsync()
    {
        var cluster = Cluster;
        if (!cluster.Head.IsRunning)
        {
            throw new InvalidOperationException($"The shared cluster's head died ({cluster.Head}); see its log under {cluster.TempDirectory}.");
        }

        foreach (var extra in cluster.RunningNodes.Where(n => !n.IsHead && !_workers.Contains(n)))
        {
            await cluster.StopNodeAsync(extra);
        }

        var dead = _workers.Where(w => !w.IsRunning).ToList();
        foreach (var worker in dead)
        {
            _workers.Remove(worker);
        }

        var replacements = await Task.WhenAll(dead.Select(_ => cluster.StartWorkerAsync()));
        _workers.AddRange(replacements);
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

/// <summary>Tests that share one <see cref="SharedCluster"/> (one after another, as the tests of one xunit collection always run).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<SharedCluster>
{
    public const string Name = "Cluster: head + 2 workers";
}
