using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The <c>abandon</c> verb: a driver that leaves long tasks behind when it ends, running and queued on one node
/// (its job's end must cancel the ones running and drop the queued ones).</summary>
public static class AbandonedTasks
{
    /// <summary>How long each task holds its CPU unless cancelled: far beyond any test's deadline.</summary>
    private const int TaskDeadlineMs = 600_000;

    /// <summary>How long the node may take to start as many tasks as it has CPUs.</summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Submits <paramref name="count"/> tasks of <see cref="Work.MarkThenAwaitCancel"/> (1 CPU each, marking
    /// their start in <paramref name="folder"/>) pinned to the node whose id starts with <paramref name="nodePrefix"/>,
    /// waits until that node runs as many as it has CPUs (the others queue there), and prints "abandoning". With
    /// <paramref name="nested"/>, one task (of no CPU) submits them and waits for its cancellation: they are nested.</summary>
    public static async Task SubmitAsync(IRay ray, int count, string folder, string nodePrefix, bool nested)
    {
        ArgumentNullException.ThrowIfNull(ray);
        var node = (await ray.NodesAsync()).Single(n => n.IsAlive && n.Id.Value.StartsWith(nodePrefix, StringComparison.Ordinal));
        var running = Math.Min(count, (int)node.Resources["CPU"]);
        var options = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.Id), MaxRetries = 0 };
        ObjectRef[] refs = nested
            ? [ray.Task(Work.SubmitMarkersThenAwaitCancel, folder, node.Id.Value, count, TaskDeadlineMs).Options(new TaskOptions { NumCpus = 0, MaxRetries = 0 }).Remote()]
            : Enumerable.Range(0, count).Select(_ => ray.Task(Work.MarkThenAwaitCancel, folder, TaskDeadlineMs).Options(options).Remote()).ToArray<ObjectRef>();
        var end = DateTime.UtcNow + StartDeadline;
        while (Directory.GetFiles(folder).Length < running)
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"Only {Directory.GetFiles(folder).Length} of {running} tasks started on {node.Id} within {StartDeadline}.");
            }

            await Task.Delay(50);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"abandoning {count} {(nested ? "nested " : string.Empty)}tasks, {running} of them running on {node.Id}"));
        Console.Out.Flush();
        GC.KeepAlive(refs); // held to the end: the job's end, not dropped refs, must stop them
    }
}
