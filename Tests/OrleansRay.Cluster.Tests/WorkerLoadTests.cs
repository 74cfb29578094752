using System.Globalization;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>Issue 9, case 17: <c>orleansray start --address HOST:PORT --load App.dll</c> loads an assembly that carries
/// an assembly-level attribute whose assembly sits beside it (a test assembly's <c>[assembly: CollectionBehavior]</c>)
/// exactly as <c>start --head</c> does, and the worker runs its functions; an assembly whose dependency is missing is
/// refused naming that dependency.</summary>
public sealed class WorkerLoadTests : IDisposable
{
    private static readonly string StoreBytes = (64L << 20).ToString(CultureInfo.InvariantCulture);

    private readonly OrleansRayCommand _command = new("orw-");

    /// <summary>A function of this test assembly (the worker loads it with --load).</summary>
    public static string Tag(int x) => string.Create(CultureInfo.InvariantCulture, $"{x} on {RayContext.NodeId.Value}");

    [Fact]
    public async Task A_worker_loads_test_assemblies_with_assembly_attributes_and_runs_their_functions()
    {
        var port = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        var workerNodePort = TestPorts.Free().ToString(CultureInfo.InvariantCulture);
        var head = await _command.RunAsync("start", "--head", "--port", port, "--dashboard-port", TestPorts.Free().ToString(CultureInfo.InvariantCulture), "--num-cpus", "1", "--object-store-memory", StoreBytes);
        Assert.True(head.ExitCode == 0, head.ToString());

        // This assembly ([assembly: CollectionBehavior] with xunit.core beside it, and Orleans-generated attributes
        // naming assemblies beside it: it holds grains) and the TestApp (an application with its own dependency,
        // OrleansRay.Train, beside it). Both are built before these tests: this project references the TestApp.
        var worker = await _command.RunAsync("start", "--address", "127.0.0.1:" + port, "--node-port", workerNodePort, "--num-cpus", "1", "--object-store-memory", StoreBytes,
            "--load", typeof(WorkerLoadTests).Assembly.Location, "--load", Fixtures.LocalCluster.TestAppAssembly);

        Assert.True(worker.ExitCode == 0, worker.ToString());
        Assert.Contains("(2 assemblies)", worker.Output, StringComparison.Ordinal);
        await using (var ray = await Ray.InitAsync(new RayOptions { Address = "127.0.0.1:" + port, AuthToken = File.ReadAllText(Path.Combine(_command.TempDirectory, "orleansray_auth_token")).Trim() }))
        {
            NodeId? workerNode = null;
            await Poll.UntilAsync(
                async () => (workerNode = (await ray.NodesAsync()).FirstOrDefault(n => n.IsAlive && n.Id.Value.StartsWith($"127.0.0.1:{workerNodePort}@", StringComparison.Ordinal))?.Id) is not null,
                TimeSpan.FromSeconds(60),
                "the driver to see the worker");
            var on = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(workerNode!.Value) };

            var tagged = await ray.GetAsync(ray.Task(Tag, 7).Options(on).Remote(), TimeSpan.FromSeconds(60));

            Assert.Equal($"7 on {workerNode.Value.Value}", tagged);
        }

        // The message names the real cause: an application copied without its dependency fails the same check on a
        // worker as on the head, naming the missing assembly (it once blamed the temp folder as "not writable").
        var alone = Directory.CreateTempSubdirectory("orw-alone-");
        try
        {
            var app = Path.Combine(alone.FullName, "ShipApp.dll");
            File.Copy(RepositoryFiles.BuildOutput(Path.Combine("Tests", "OrleansRay.Cluster.ShipApp"), "ShipApp.dll"), app);

            var refused = await _command.RunAsync("start", "--address", "127.0.0.1:" + port, "--node-port", TestPorts.Free().ToString(CultureInfo.InvariantCulture),
                "--num-cpus", "1", "--object-store-memory", StoreBytes, "--load", app);

            Assert.True(refused.ExitCode != 0, refused.ToString());
            var error = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Contains("'ShipModel' was not found", error, StringComparison.Ordinal);
            Assert.DoesNotContain("writable", error, StringComparison.Ordinal);
        }
        finally
        {
            alone.Delete(recursive: true);
        }

        var stop = await _command.RunAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }

    public void Dispose() => _command.Dispose();
}
