using OrleansRay.Tests.Functions;

namespace OrleansRay.Tests.Cancellation;

/// <summary>Tasks that submit tasks, for the tests of recursive cancellation (Ray's <c>ray.cancel(ref, recursive=True)</c>).
/// Each level sets the gate <c>{gate}.{level}.started</c>; the last one then waits until its token fires (it sets
/// <c>{gate}.{level}.observed</c>) or <c>{gate}.release</c> opens (it sets <c>{gate}.{level}.finished</c>).</summary>
public static class CancelTree
{
    /// <summary>How long a leaf waits at most, so that no thread outlives a failed test for long.</summary>
    private static readonly TimeSpan LeafLimit = TimeSpan.FromSeconds(60);

    /// <summary>Level <paramref name="level"/> of a chain of tasks, each submitting the next and reading it.</summary>
    /// <param name="gate">The gates' prefix.</param>
    /// <param name="level">0 for the task the driver submits.</param>
    /// <param name="placement">One entry per level, comma-separated: a node id to pin that level's task to, or empty for
    /// none (the number of entries is the chain's length).</param>
    public static async Task<int> Level(string gate, int level, string placement)
    {
        Gates.Get($"{gate}.{level}.started").Set();
        var nodes = placement.Split(',');
        if (level + 1 < nodes.Length)
        {
            var ray = Ray.Current;
            var options = new TaskOptions { NumCpus = 0 };
            if (nodes[level + 1].Length > 0)
            {
                options.SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(nodes[level + 1]));
            }

            var next = ray.Task(Level, gate, level + 1, placement).Options(options).Remote();
            return await ray.GetAsync(next);
        }

        var token = RayContext.CancellationToken;
        var which = WaitHandle.WaitAny([token.WaitHandle, Gates.Get(gate + ".release").WaitHandle], LeafLimit);
        if (which == 0)
        {
            Gates.Get($"{gate}.{level}.observed").Set();
            return -1;
        }

        Gates.Get($"{gate}.{level}.finished").Set();
        return level;
    }

    /// <summary>Starts a chain of <paramref name="placement"/>'s length on <paramref name="ray"/> and waits until its last
    /// task runs.</summary>
    public static ObjectRef<int> Start(IRay ray, string gate, string placement, TimeSpan deadline)
    {
        var options = new TaskOptions { NumCpus = 0 };
        var first = placement.Split(',')[0];
        if (first.Length > 0)
        {
            options.SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(first));
        }

        var root = ray.Task(Level, gate, 0, placement).Options(options).Remote();
        var last = placement.Split(',').Length - 1;
        if (!Gates.Get($"{gate}.{last}.started").Wait(deadline))
        {
            throw new TimeoutException($"The chain's last task (level {last}) did not start within {deadline.TotalSeconds:0} s.");
        }

        return root;
    }
}
