using System.Globalization;
using System.Net;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The cluster acceptance workload (issue 13), run as an outside driver against a cluster whose nodes have
/// none of this code (it travels with the job): <c>acceptance VICTIM-IP</c>, connected with
/// <c>Address = "auto"</c> (<c>ORLEANSRAY_ADDRESS</c>, e.g. head:30000) and the token in <c>ORLEANSRAY_AUTH_TOKEN</c>.</summary>
/// <remarks>Prints one line per check, "check NAME ok: ..." or "check NAME FAILED: ..." (exit 1 at the first failure).
/// Phase 1: tasks spread over every node with each result checked, an actor, a large object (4 MiB) made on one node
/// and read on another and by the driver. Phase 2: long tasks on every node, half pinned (softly) to the victim, then
/// "kill-window open": the test kills the victim's processes; every task must still complete with its right value
/// (retried elsewhere), the victim must show dead, and new tasks must run on the survivors.</remarks>
public static class Acceptance
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length < 1 || !IPAddress.TryParse(args[0], out _))
        {
            await Console.Error.WriteLineAsync("usage: acceptance VICTIM-IP (the address of the worker the test kills)");
            return 2;
        }

        var victimIp = args[0];
        try
        {
            await using var ray = await Ray.InitAsync(new RayOptions { Address = "auto" });
            Check("connected", true, $"through node {ray.NodeId.Value}");
            var nodes = (await ray.NodesAsync()).Where(n => n.IsAlive).ToList();
            Check("nodes", nodes.Count == 3, $"{nodes.Count} alive: {string.Join(", ", nodes.Select(n => n.Id.Value))}");
            var victim = nodes.SingleOrDefault(n => n.Id.Value.StartsWith(victimIp + ":", StringComparison.Ordinal));
            Check("victim-known", victim is not null, $"{victimIp} is {victim?.Id.Value ?? "(none)"}");
            var others = nodes.Where(n => n != victim).ToList();

            // Tasks everywhere: every node runs some (Spread), every result is right.
            var spread = new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread };
            var squares = Enumerable.Range(1, 60).Select(i => ray.Task(AcceptanceWork.SquareWhere, i, 20).Options(spread).Remote()).ToArray();
            var results = await ray.GetAsync(squares, Deadline);
            var wrong = results.Select((r, i) => (r, i: i + 1)).Where(p => p.r.Value != (long)p.i * p.i).ToList();
            Check("tasks", wrong.Count == 0, $"{results.Length} results, {wrong.Count} wrong");
            var ran = results.Select(r => r.Node).Distinct(StringComparer.Ordinal).Count();
            Check("tasks-on-every-node", ran == 3, $"ran on {ran} nodes");

            // A task on each node by affinity, each says where it ran.
            foreach (var node in nodes)
            {
                var there = await ray.GetAsync(ray.Task(AcceptanceWork.SquareWhere, 7, 0).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.Id) }).Remote(), Deadline);
                Check("affinity", there.Node == node.Id.Value && there.Value == 49, $"{node.Id.Value} ran it: {there.Node}");
            }

            // An actor (on a survivor: it has no restarts), its state kept between calls.
            var tally = ray.Actor(() => new Tally()).Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(others[0].Id) }).Remote();
            for (var i = 1; i <= 4; i++)
            {
                _ = await tally.Task((t, x) => t.Add(x), i).Remote();
            }

            var total = await tally.Task(t => t.Total()).Remote();
            var actorNode = await tally.Task(t => t.Node()).Remote();
            Check("actor", total == 10, $"total {total} on {actorNode}");

            // A large object: made on one node (its store), read on another (store-to-store transfer), read by the driver.
            const int n = 1 << 19; // 512 Ki doubles = 4 MiB
            var (maker, reader) = (others[^1], others[0]);
            var ramp = ray.Task(AcceptanceWork.Ramp, n, 5.0).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(maker.Id) }).Remote();
            var read = await ray.GetAsync(ray.Task(AcceptanceWork.IsRamp, ramp, n, 5.0).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(reader.Id) }).Remote(), Deadline);
            Check("large-object-node-to-node", read.Exact && read.Node == reader.Id.Value, $"{n * 8L} bytes made on {maker.Id.Value}, read exactly on {read.Node}");
            var local = await ray.GetAsync(ramp, Deadline);
            Check("large-object-driver", local.Length == n && local[0] == 5.0 && local[^1] == 5.0 + ((n - 1) * 0.5), $"{local.Length * 8L} bytes read by the driver");

            // Phase 2: tasks in flight on every node, half of them pinned (softly) to the victim. A task that runs on the
            // victim sleeps there far longer than the test lasts (it cannot finish before the kill), elsewhere 1.5 s. The
            // window opens only once the victim's CPUs are all taken by them, so the kill lands while they run: every
            // one of them must then be retried and finish on a survivor.
            var onVictim = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(victim!.Id, soft: true) };
            var inFlight = Enumerable.Range(1, 12).Select(i => ray.Task(AcceptanceWork.SquareAwayFrom, i, victim.Id.Value, 1500).Options(i % 2 == 0 ? onVictim : spread).Remote()).ToArray();
            var busyBy = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            NodeInfo? victimNow;
            while (true)
            {
                victimNow = (await ray.NodesAsync()).SingleOrDefault(x => x.Id == victim.Id);
                // A resource with nothing left is left out of AvailableResources.
                if (victimNow is not null && victimNow.AvailableResources.GetValueOrDefault("CPU") <= 0 || DateTime.UtcNow > busyBy)
                {
                    break;
                }

                await Task.Delay(100);
            }

            Check("victim-busy", victimNow is not null && victimNow.AvailableResources.GetValueOrDefault("CPU") <= 0, $"{victim.Id.Value}: {victimNow?.AvailableResources.GetValueOrDefault("CPU").ToString(CultureInfo.InvariantCulture) ?? "(gone)"} of {victim.Resources.GetValueOrDefault("CPU").ToString(CultureInfo.InvariantCulture)} CPU free");
            Console.WriteLine("kill-window open");
            Console.Out.Flush();
            var afterKill = await ray.GetAsync(inFlight, TimeSpan.FromSeconds(90));
            var wrongAfter = afterKill.Select((r, i) => (r, i: i + 1)).Where(p => p.r.Value != (long)p.i * p.i).ToList();
            var onVictimRan = afterKill.Where((r, i) => (i + 1) % 2 == 0).Select(r => r.Node).ToList();
            var survivorsRan = onVictimRan.Count(node => node != victim.Id.Value);
            Check("tasks-survive-kill", wrongAfter.Count == 0 && survivorsRan == onVictimRan.Count, $"{afterKill.Length} results, {wrongAfter.Count} wrong; the {onVictimRan.Count} pinned to the victim finished on {string.Join(", ", onVictimRan.Distinct(StringComparer.Ordinal))}");

            // The cluster declares the victim dead (membership probes), within the deadline.
            var end = DateTime.UtcNow + Deadline;
            IReadOnlyList<NodeInfo> seen;
            while (true)
            {
                seen = await ray.NodesAsync();
                if (seen.Any(x => x.Id == victim.Id && !x.IsAlive) || DateTime.UtcNow > end)
                {
                    break;
                }

                await Task.Delay(250);
            }

            Check("victim-dead", seen.Any(x => x.Id == victim.Id && !x.IsAlive), string.Join(", ", seen.Select(x => $"{x.Id.Value} {(x.IsAlive ? "alive" : "dead")}")));

            // New work after the kill runs on the two survivors only, every result right.
            var after = await ray.GetAsync(Enumerable.Range(1, 20).Select(i => ray.Task(AcceptanceWork.SquareWhere, i, 10).Options(spread).Remote()), Deadline);
            var afterNodes = after.Select(r => r.Node).Distinct(StringComparer.Ordinal).ToList();
            Check("tasks-after-kill", after.Select((r, i) => r.Value == (long)(i + 1) * (i + 1)).All(ok => ok) && !afterNodes.Contains(victim.Id.Value), $"ran on {string.Join(", ", afterNodes)}");
            // An actor living on a survivor keeps its state when another node dies (ADR 0010: the killed node may have
            // held its Orleans directory entry; the distributed grain directory recovers it instead of deactivating it).
            try
            {
                var kept = await tally.Task((t, x) => t.Add(x), 5).Remote();
                Check("actor-after-kill", kept == 15, $"total {kept}, expected 15");
            }
            catch (ActorDiedException ex)
            {
                Check("actor-after-kill", false, $"the actor on a survivor died: {ex.Message}");
            }

            Console.WriteLine("acceptance passed");
            return 0;
        }
        catch (CheckFailedException)
        {
            return 1;
        }
        catch (Exception ex)
        {
            Console.WriteLine($"check unexpected FAILED: {ex}");
            return 1;
        }
    }

    private static void Check(string name, bool ok, string detail)
    {
        Console.WriteLine($"check {name} {(ok ? "ok" : "FAILED")}: {detail}");
        Console.Out.Flush();
        if (!ok)
        {
            throw new CheckFailedException();
        }
    }

    private sealed class CheckFailedException : Exception;
}

/// <summary>The acceptance workload's remote functions: the nodes get them with the driver's job.</summary>
public static class AcceptanceWork
{
    /// <summary>x² after <paramref name="sleepMs"/>, and the node that ran it.</summary>
    public static (long Value, string Node) SquareWhere(int x, int sleepMs)
    {
        if (sleepMs > 0)
        {
            Thread.Sleep(sleepMs);
        }

        return ((long)x * x, RayContext.NodeId.Value);
    }

    /// <summary>x² and the node that ran it: after <paramref name="sleepMs"/>, or, on the node
    /// <paramref name="stuckOn"/>, once the task is cancelled (at most two minutes): the test kills that node first, so
    /// the task is retried elsewhere.</summary>
    public static (long Value, string Node) SquareAwayFrom(int x, string stuckOn, int sleepMs)
    {
        var node = RayContext.NodeId.Value;
        if (node == stuckOn)
        {
            RayContext.CancellationToken.WaitHandle.WaitOne(TimeSpan.FromMinutes(2));
        }
        else
        {
            Thread.Sleep(sleepMs);
        }

        return ((long)x * x, node);
    }

    public static double[] Ramp(int n, double seed) => Arrays.Ramp(n, seed);

    public static (bool Exact, string Node) IsRamp(double[] values, int n, double seed) => Arrays.IsRamp(values, n, seed);
}

/// <summary>The acceptance workload's actor.</summary>
public sealed class Tally
{
    private int _total;

    public int Add(int x) => _total += x;

    public int Total() => _total;

    public string Node() => RayContext.NodeId.Value;
}
