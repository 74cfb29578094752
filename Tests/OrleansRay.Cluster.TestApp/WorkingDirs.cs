using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The <c>workdir FILE</c> verb: the job's working dir (<see cref="RuntimeEnv.WorkingDir"/>, here the one
/// <c>orleansray job submit --working-dir</c> gave it) as the driver sees it and as a task on each node sees it.</summary>
public static class WorkingDirs
{
    /// <summary>Prints "driver working dir = FOLDER", then, for each live node, runs <see cref="Read"/> pinned there and
    /// prints "node NODE-ID read FOLDER|CONTENT|MODE".</summary>
    public static async Task PrintAsync(IRay ray, string file)
    {
        ArgumentNullException.ThrowIfNull(ray);
        Console.WriteLine("driver working dir = " + (RayContext.WorkingDirectory ?? "(none)"));
        var nodes = (await ray.NodesAsync()).Where(n => n.IsAlive).OrderBy(n => n.Id.Value, StringComparer.Ordinal).ToList();
        foreach (var node in nodes)
        {
            var options = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.Id), MaxRetries = 0 };
            var read = await ray.GetAsync(ray.Task(Read, file).Options(options).Remote(), TimeSpan.FromSeconds(60));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"node {node.Id.Value} read {read}"));
        }
    }

    /// <summary>On a node: "FOLDER|CONTENT OF FILE|MODE OF run.sh" of the job's working dir there.</summary>
    public static string Read(string file)
    {
        var folder = RayContext.WorkingDirectory ?? throw new InvalidOperationException($"no working dir on node {RayContext.NodeId}");
        var mode = OperatingSystem.IsWindows() ? "0" : Convert.ToString((int)File.GetUnixFileMode(Path.Combine(folder, "run.sh")), 8);
        return $"{folder}|{File.ReadAllText(Path.Combine(folder, file)).Trim()}|{mode}";
    }
}
