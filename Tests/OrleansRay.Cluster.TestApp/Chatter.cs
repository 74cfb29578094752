using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The <c>logs</c> verb (Ray's <c>log_to_driver</c>): a task, a nested task and an actor method that print,
/// each line carrying a token the test looks for, run on one chosen node.</summary>
public static class Chatter
{
    /// <summary>How long the printing work may take on a busy machine.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>The texts of the lines the work prints, each after its token and a space.</summary>
    public static readonly string[] Lines = ["out 1", "out 2", "err", "nested", "actor"];

    /// <summary>Runs on the node whose id starts with <paramref name="nodePrefix"/>: <see cref="Speak"/> (two lines to
    /// standard output, one to standard error), <see cref="SpeakNested"/> (whose nested task prints) and a
    /// <see cref="Chatterbox"/>'s <see cref="ChatterboxCalls.Say"/>; prints "ran on NODE-ID" once all returned. With
    /// <paramref name="awaitOutput"/> it then waits until this driver has printed every line (the nodes send them a
    /// moment after the work returned) and prints "all task output arrived". With <paramref name="flood"/> it also runs
    /// <see cref="Flood"/> there.</summary>
    public static async Task RunAsync(IRay ray, string nodePrefix, string token, bool awaitOutput, bool flood = false)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var printed = awaitOutput ? ConsoleTee.Install() : null;
        var node = (await ray.NodesAsync()).Single(n => n.IsAlive && n.Id.Value.StartsWith(nodePrefix, StringComparison.Ordinal));
        var there = SchedulingStrategy.NodeAffinity(node.Id);
        _ = await ray.GetAsync(ray.Task(Speak, token).Options(new TaskOptions { SchedulingStrategy = there }).Remote(), Deadline);
        _ = await ray.GetAsync(ray.Task(SpeakNested, token, node.Id.Value).Options(new TaskOptions { SchedulingStrategy = there, NumCpus = 0 }).Remote(), Deadline);
        var box = ray.Actor(() => new Chatterbox()).Options(new ActorOptions { SchedulingStrategy = there, NumCpus = 0 }).Remote();
        _ = await ray.GetAsync(box.Task(ChatterboxCalls.Say, token).Remote(), Deadline);
        if (flood)
        {
            _ = await ray.GetAsync(ray.Task(Flood, token).Options(new TaskOptions { SchedulingStrategy = there }).Remote(), Deadline);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ran on {node.Id}"));
        Console.Out.Flush();
        if (printed is not null)
        {
            var end = DateTime.UtcNow + Deadline;
            while (Lines.Any(line => !printed.Contains(") " + token + " " + line)))
            {
                if (DateTime.UtcNow > end)
                {
                    throw new TimeoutException($"Not all task output reached the driver within {Deadline}; it printed:\n{printed.Text}");
                }

                await Task.Delay(50);
            }

            Console.WriteLine("all task output arrived");
            Console.Out.Flush();
        }
    }

    /// <summary>How many lines <see cref="Flood"/> prints: more than a driver receives in the moment between the task's
    /// return and the driver's end.</summary>
    public const int FloodLines = 20_000;

    /// <summary>A task that prints <see cref="FloodLines"/> numbered lines as fast as it can, then returns.</summary>
    public static int Flood(string token)
    {
        for (var i = 0; i < FloodLines; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{token} flood {i}"));
        }

        return Environment.ProcessId;
    }

    /// <summary>A task that prints two lines (the first in pieces) and one line to standard error.</summary>
    public static int Speak(string token)
    {
        Console.Write(token + " out");
        Console.WriteLine(" 1");
        Console.Out.WriteLine(token + " out 2");
        Console.Error.WriteLine(token + " err");
        return Environment.ProcessId;
    }

    /// <summary>A task that runs <see cref="Whisper"/> on node <paramref name="node"/> (a nested task of the same job).</summary>
    public static async Task<int> SpeakNested(string token, string node) =>
        await Ray.Current.GetAsync(Ray.Current.Task(Whisper, token).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(node)) }).Remote(), Deadline);

    /// <summary>The nested task: prints one line.</summary>
    public static int Whisper(string token)
    {
        Console.WriteLine(token + " nested");
        return Environment.ProcessId;
    }
}

/// <summary>An actor that prints.</summary>
public sealed class Chatterbox
{
    public int Say(string token)
    {
        Console.WriteLine(token + " actor");
        return Environment.ProcessId;
    }
}

/// <summary><see cref="Chatterbox"/>'s methods as remote actor methods (see <see cref="CounterCalls"/> for why).</summary>
public static class ChatterboxCalls
{
    public static int Say(Chatterbox box, string token)
    {
        ArgumentNullException.ThrowIfNull(box);
        return box.Say(token);
    }
}
