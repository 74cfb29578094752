using System.Globalization;
using System.Text.Json;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Tests.Processes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests;

/// <summary>Two machines, as two network namespaces on one bridge (<see cref="NetnsNetwork"/>): a head started with
/// <c>--node-ip-address auto</c> in one, and a worker started on the other with only <c>orleansray start --address
/// HEAD:30000</c> (README's recipe, no <c>--node-ip-address</c>). The worker must register the address its machine
/// reaches the head from, as Ray's does; 127.0.0.1 there would have the head dial its own loopback.</summary>
public sealed class NetnsWorkerAddressTests
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _output;

    public NetnsWorkerAddressTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task A_worker_joining_a_head_on_another_machine_registers_the_address_that_reaches_it_and_runs_tasks_there()
    {
        // Disposing kills every process of both namespaces (the background nodes and their stores included) and removes
        // the namespaces, the bridge and the run's folder, whatever happened before.
        await using var network = await NetnsNetwork.CreateAsync();
        var processes = new List<NetnsProcess>();
        try
        {
            await network.AddAsync("head", 2);
            await network.AddAsync("worker", 3);
            var head = network.AddressOf("head").ToString();
            var worker = network.AddressOf("worker").ToString();
            const string Port = "30000";
            var headStart = await RunAsync(network, processes, "head", new Dictionary<string, string>(), "start", "--head", "--node-ip-address", "auto", "--port", Port, "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(CultureInfo.InvariantCulture));
            var banner = string.Join(' ', headStart.Output.Split('\n').Select(l => l.Trim()));
            Assert.Contains($"Address    {head}:{Port} (clients)", headStart.Output, StringComparison.Ordinal);
            Assert.Contains($"then `orleansray start --address {head}:{Port}` or a driver", banner, StringComparison.Ordinal);
            Assert.DoesNotContain("Other machines cannot join", banner, StringComparison.Ordinal);
            var token = (await File.ReadAllTextAsync(Path.Combine(network.Root, "head", "orleansray_auth_token"))).Trim();
            var withToken = new Dictionary<string, string> { ["ORLEANSRAY_AUTH_TOKEN"] = token };

            // README's recipe on the other machine: the token and the head's address, nothing else.
            var workerStart = await RunAsync(network, processes, "worker", withToken, "start", "--address", $"{head}:{Port}", "--num-cpus", "1", "--object-store-memory", (64L << 20).ToString(CultureInfo.InvariantCulture));
            Assert.Contains($"Address    {worker}:", workerStart.Output, StringComparison.Ordinal);

            // The head lists the worker at its own address, alive.
            string? workerId = null;
            await Poll.UntilAsync(
                async () =>
                {
                    var list = await RunAsync(network, processes, "head", new Dictionary<string, string>(), "list", "nodes", "--format", "json");
                    using var nodes = JsonDocument.Parse(list.Output);
                    var row = nodes.RootElement.EnumerateArray().FirstOrDefault(n => n.GetProperty("address").GetString()?.StartsWith(worker + ":", StringComparison.Ordinal) == true && n.GetProperty("state").GetString() == "ALIVE");
                    workerId = row.ValueKind == JsonValueKind.Object ? row.GetProperty("node_id").GetString() : null;
                    Assert.DoesNotContain(nodes.RootElement.EnumerateArray(), n => n.GetProperty("address").GetString()?.StartsWith("127.0.0.1:", StringComparison.Ordinal) == true);
                    return workerId is not null;
                },
                TimeSpan.FromSeconds(30),
                $"the head to list the worker at {worker}");

            // A driver on the head's machine runs a task, a nested task and an actor pinned to the worker: the head and
            // the driver reach it at the address it registered.
            var driver = NetnsProcess.Start(
                "driver",
                network.Namespace("head"),
                "head-" + network.Id,
                NetnsComposeCluster.DotNet,
                [TestAppDriver.Assembly, "logs", workerId!, "netns-worker-address", "off"],
                Environment(network, "head", new Dictionary<string, string> { ["ORLEANSRAY_ADDRESS"] = $"{head}:{Port}", ["ORLEANSRAY_AUTH_TOKEN"] = token }),
                Path.Combine(network.Root, "driver.log"));
            processes.Add(driver);
            var exit = await driver.WaitForExitAsync(CommandDeadline);
            Assert.True(exit == 0, $"the driver failed (exit {exit}):\n{driver.Tail(60)}");
            Assert.Contains($"ran on {workerId}", driver.Output, StringComparison.Ordinal);
        }
        catch
        {
            foreach (var process in processes)
            {
                _output.WriteLine($"--- {process.Name} (pid {process.Pid}):\n{process.Tail(60)}");
            }

            throw;
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    /// <summary>Runs <c>orleansray ARGS</c> to its end in the namespace of <paramref name="machine"/>, with that
    /// machine's own temp folder; fails on a non-zero exit code.</summary>
    private static async Task<(string Output, int ExitCode)> RunAsync(NetnsNetwork network, List<NetnsProcess> processes, string machine, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var process = NetnsProcess.Start(
            $"{machine}: orleansray {string.Join(' ', arguments)}",
            network.Namespace(machine),
            machine + "-" + network.Id,
            NetnsComposeCluster.DotNet,
            [OrleansRayCommand.CommandAssembly, .. arguments],
            Environment(network, machine, environment),
            Path.Combine(network.Root, $"{machine}-cli-{processes.Count.ToString(CultureInfo.InvariantCulture)}.log"));
        processes.Add(process);
        var exit = await process.WaitForExitAsync(CommandDeadline);
        Assert.True(exit == 0, $"{process.Name} exited {exit}:\n{process.Tail(60)}");
        return (process.Output, exit);
    }

    private static Dictionary<string, string> Environment(NetnsNetwork network, string machine, IReadOnlyDictionary<string, string> extra)
    {
        var temp = Path.Combine(network.Root, machine);
        Directory.CreateDirectory(temp);
        var environment = NetnsComposeCluster.ContainerEnvironment(temp);
        environment["DOTNET_DbgEnableMiniDump"] = "0";
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }
}
