using OrleansRay.Grains;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Commands;
using OrleansRay.Silo.Dashboard;
using Spectre.Console;
using Xunit;
using static OrleansRay.Dashboard.Tests.Autoscaling.PlannerFixtures;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary><c>orleansray status</c> with an autoscaler: Ray's "Pending:" and "Recent failures:" sections under the node
/// table, the recent decisions, and the demands no node type can hold; none of it without an autoscaler.</summary>
public sealed class StatusAutoscalerSectionsTests
{
    private static string Render(AutoscalerStatus? autoscaler, int width = 200)
    {
        var head = new NodeStatus(new NodeId("127.0.0.1:11111@1"), "127.0.0.1:30000", IsAlive: true, Res(1), ResourceSet.Empty, [new ResourceDemandInfo(Res(64), 1, IsInfeasible: true, IsActor: false)], Now);
        var snapshot = ClusterSnapshot.From([head], [], Now) with { Autoscaler = autoscaler };
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = width;
        StatusCommand.Render(console, "127.0.0.1:30000", new CliPaths(Path.Combine(Path.GetTempPath(), "no-such-orleansray-root")), snapshot);
        return writer.ToString().ReplaceLineEndings("\n");
    }

    [Fact]
    public void Pending_and_recent_failures_show_with_type_and_reason_and_infeasible_demands_with_the_autoscalers_reason()
    {
        var status = new AutoscalerStatus(
            Now.AddSeconds(-1),
            "demo",
            [new AutoscalerNodeInfo("4242", "worker", "127.0.0.1:20001", Now.AddSeconds(-3), null)],
            [new AutoscalerNodeInfo("4200", "gpu", "127.0.0.1:20002", Now.AddSeconds(-12), "the node exited with code 2 before joining the cluster: error: unknown option '--bad'")],
            ["10:00:00 launch 1 x 'worker' (4242): for 1 pending task(s) {\"CPU\": 1.0} the free capacity cannot hold"])
        {
            Infeasible = ["1 pending task(s) {\"CPU\": 64.0}: no node type and no node has {\"CPU\": 64.0}; nothing is launched for it"],
        };

        var text = Render(status);

        Assert.Contains("Autoscaler: cluster 'demo', last round 1.0 s ago\nPending:\n worker: launching, 127.0.0.1:20001 (id 4242, for 3.0 s)\nRecent failures:\n gpu: the node exited with code 2 before joining the cluster: error: unknown option '--bad' (id 4200, 12.0 s ago)\n", text, StringComparison.Ordinal);
        Assert.Contains("Recent decisions (newest first):\n 10:00:00 launch 1 x 'worker' (4242)", text, StringComparison.Ordinal);
        Assert.Contains("Infeasible for the autoscaler (no node type has these resources; nothing is launched):\n 1 pending task(s) {\"CPU\": 64.0}: no node type", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("Pending:", StringComparison.Ordinal) < text.IndexOf("Resources\n", StringComparison.Ordinal), text);
    }

    [Fact]
    public void Empty_sections_say_so_and_a_cluster_without_autoscaler_shows_none()
    {
        var empty = Render(new AutoscalerStatus(Now, "demo", [], [], []));
        var none = Render(null);

        Assert.Contains("Pending:\n (no pending nodes)\nRecent failures:\n (no failures)\n", empty, StringComparison.Ordinal);
        Assert.DoesNotContain("Pending:", none, StringComparison.Ordinal);
        Assert.DoesNotContain("Autoscaler", none, StringComparison.Ordinal);
    }

    [Fact]
    public void Placement_group_bundle_resources_are_not_listed_and_their_reservation_shows_as_used_cpu()
    {
        // A node of 4 CPUs with one 1-CPU bundle reserved: the bundle took a CPU from the node's free ones, and the
        // bundle and its group's pool appear under Ray's names, which `ray status` lists only with --verbose.
        var group = Guid.NewGuid().ToString("N");
        var total = ResourceSet.From([KeyValuePair.Create("CPU", 4.0), KeyValuePair.Create($"CPU_group_0_{group}", 1.0), KeyValuePair.Create($"CPU_group_{group}", 1.0)]);
        var available = ResourceSet.From([KeyValuePair.Create("CPU", 3.0), KeyValuePair.Create($"CPU_group_0_{group}", 1.0), KeyValuePair.Create($"CPU_group_{group}", 1.0)]);
        var node = new NodeStatus(new NodeId("127.0.0.1:11111@1"), "127.0.0.1:30000", IsAlive: true, total, available, [], Now);

        var snapshot = ClusterSnapshot.From([node], [], Now);

        Assert.Equal("4.0 CPU", Assert.Single(snapshot.Nodes).Resources);
        var cpu = Assert.Single(snapshot.Total);
        Assert.Equal(("CPU", 1.0, 4.0), (cpu.Name, cpu.Used, cpu.Total));
        Assert.Equal(["CPU"], snapshot.Nodes[0].Usage.Select(u => u.Name));
    }

    [Fact]
    public void Written_to_a_file_or_pipe_a_long_decision_stays_on_one_line()
    {
        // The test host's output is redirected, as a pipe's is: the console the commands get writes unwrapped lines.
        Assert.True(Console.IsOutputRedirected);
        Assert.Equal(ConsoleOutput.UnwrappedWidth, ConsoleOutput.Create().Profile.Width);
        var reason = "for placement group 'train-" + new string('x', 200) + "' (PACK, 3 bundle(s)), which the free capacity cannot hold";
        var status = new AutoscalerStatus(Now, "demo", [], [], ["10:00:00 launch 1 x 'worker' (4242): " + reason]);

        var text = Render(status, ConsoleOutput.UnwrappedWidth);

        Assert.Contains("\n 10:00:00 launch 1 x 'worker' (4242): " + reason + "\n", text, StringComparison.Ordinal);
    }
}
