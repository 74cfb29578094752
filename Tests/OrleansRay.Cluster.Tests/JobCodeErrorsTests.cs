using System.Globalization;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 12, errors a user can act on: a node started with <c>--load</c> of one build of a driver never runs
/// that build for a driver of another build (it reports the difference and runs the job's own), and code over the
/// upload limit is refused at connect with its size and the limit. Both tests use one node (<see cref="V1Node"/>): neither
/// depends on what the other's jobs did there.</summary>
public sealed class JobCodeErrorsTests : IClassFixture<JobCodeErrorsTests.V1Node>
{
    private static readonly TimeSpan DriverDeadline = TimeSpan.FromSeconds(120);

    private static readonly string V1 = RepositoryFiles.BuildOutput(Path.Combine("Tests", "OrleansRay.Cluster.ShipApp"), "ShipApp.dll");
    private static readonly string V2 = RepositoryFiles.BuildOutput(Path.Combine("Tests", "OrleansRay.Cluster.ShipApp.V2"), "ShipApp.dll");

    private readonly LocalCluster _cluster;

    public JobCodeErrorsTests(V1Node node)
    {
        _cluster = node.Cluster;
        Assert.True(_cluster.Head.IsRunning, $"the node died\n{_cluster.Diagnostics()}");
    }

    /// <summary>One node that loads the first build of ShipApp itself, as <c>--load</c> did before code travelled with jobs.</summary>
    public sealed class V1Node : IAsyncLifetime
    {
        private LocalCluster? _cluster;

        public LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("The node did not start.");

        public async Task InitializeAsync() =>
            _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 0, LoadTestApp = false, Load = [V1], ObjectStoreMemory = 64L << 20 });

        public async Task DisposeAsync()
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_node_whose_loaded_build_differs_from_the_drivers_runs_the_drivers_build_and_reports_the_difference()
    {
        var v2 = await RunDriverAsync(V2, "run");

        Assert.True(v2.ExitCode == 0, v2 + _cluster.Diagnostics());
        // Before issue 12 the node ran its --load'ed build: "v1", silently.
        Assert.Contains("check 1 version = v2", v2.Output, StringComparison.Ordinal);
        Assert.Contains("check 1 record = m@v2 3,6,9", v2.Output, StringComparison.Ordinal);
        await Poll.UntilAsync(
            () => Task.FromResult(_cluster.Head.LogTail(400).Contains("The node's copy of 'ShipApp'", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            "the node to log that its --load'ed ShipApp is not the job's build",
            () => _cluster.Head.LogTail(60));

        // The build the node loaded itself is the driver's: the node's copy serves it.
        var v1 = await RunDriverAsync(V1, "run");
        Assert.True(v1.ExitCode == 0, v1 + _cluster.Diagnostics());
        Assert.Contains("check 1 version = v1", v1.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_over_the_upload_limit_is_refused_at_connect_with_its_size_and_the_limit()
    {
        var options = new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken, RuntimeEnv = new RuntimeEnv { MaxCodeBytes = 1000 } };
        options.RuntimeEnv.Assemblies.Add(typeof(JobCodeErrorsTests).Assembly);

        var refused = await Assert.ThrowsAsync<RayException>(() => Ray.InitAsync(options));

        var size = new FileInfo(typeof(JobCodeErrorsTests).Assembly.Location).Length;
        Assert.Contains("the limit is 1,000 bytes (RayOptions.RuntimeEnv.MaxCodeBytes)", refused.Message, StringComparison.Ordinal);
        Assert.Matches("The job's code is [0-9,]+ bytes", refused.Message);
        Assert.True(size > 1000, $"the test assembly is {size.ToString(CultureInfo.InvariantCulture)} bytes");
        // Nothing half-connected is left: a driver within the limit connects and works.
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        Assert.Equal(3, await ray.GetAsync(await ray.PutAsync(3)));
    }

    private Task<ProcessResult> RunDriverAsync(string assembly, params string[] arguments) =>
        ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            [assembly, .. arguments],
            DriverDeadline,
            new Dictionary<string, string> { ["ORLEANSRAY_ADDRESS"] = _cluster.Address, ["ORLEANSRAY_AUTH_TOKEN"] = _cluster.AuthToken! });
}
