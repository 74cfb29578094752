using Microsoft.Extensions.Logging;
using OrleansRay.Tests.Fixtures;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>A driver given a node's silo port (<c>--node-port</c>) for the cluster's gateway (the head's <c>--port</c>)
/// is told so in one exception, from the silo's connection preamble, which a silo port sends first and a gateway never
/// does; no page of Orleans warnings with stacks, no "Hosting failed to start" error with the cancelled start's stack,
/// no wait for the connect deadline and its "No OrleansRay cluster answers" (reviewers' defects).</summary>
public sealed class NodePortAddressTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_driver_given_a_nodes_silo_port_is_told_to_give_the_gateway_port_without_Orleans_warnings()
    {
        await using var cluster = await InProcessCluster.StartAsync((1, null));
        var nodePort = $"127.0.0.1:{cluster.Nodes[0].SiloPort}";
        var log = new RecordingLoggerProvider();

        var refused = await Assert.ThrowsAsync<RayException>(() =>
            Ray.InitAsync(new RayOptions { Address = nodePort, AuthToken = cluster.AuthToken, LogTo = log }).WaitAsync(Deadline));

        Assert.StartsWith($"{nodePort} is not a cluster's client (gateway) port: it answers as an OrleansRay node's silo port", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Give the head's client port, its --port (default 30000", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
        var orleans = log.Entries.Where(e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Orleans", StringComparison.Ordinal)).ToList();
        Assert.True(orleans.Count == 0, "Orleans warned: " + string.Join(" | ", orleans.Select(e => $"{e.Category} {e.Level}: {e.Message}")));
        // Nor the host's "Hosting failed to start" with the stack of the start the driver cancelled: the exception says it all.
        var errors = log.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, "logged errors: " + string.Join(" | ", errors.Select(e => $"{e.Category} {e.Level}: {e.Message}")));

        // The gateway itself is no node port: a driver connects through it and runs tasks.
        var connectedLog = new RecordingLoggerProvider();
        await using var ray = await Ray.InitAsync(new RayOptions { Address = cluster.Address, AuthToken = cluster.AuthToken, LogTo = connectedLog });
        Assert.Equal(9, await ray.GetAsync(ray.Task(Square, 3).Remote(), Deadline));

        // The filters that quieten the cancelled start keep the driver's level (Warning by default) otherwise: no
        // "dbug: ... Hosting starting" lines from a driver that connected.
        var belowLevel = connectedLog.Entries.Where(e => e.Level < LogLevel.Warning).ToList();
        Assert.True(belowLevel.Count == 0, "logged below Warning: " + string.Join(" | ", belowLevel.Select(e => $"{e.Category} {e.Level}: {e.Message}")));
    }
}
