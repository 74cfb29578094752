namespace OrleansRay.Cluster.TestApp;

/// <summary>Remote functions the cluster tests run on real nodes (loaded there with <c>--load</c>).</summary>
public static class Work
{
    public static int Square(int x) => x * x;

    /// <summary>Always fails with an <see cref="InvalidOperationException"/> naming <paramref name="x"/> (the state CLI
    /// lists it as FAILED with that error).</summary>
    public static int Refuse(int x) => throw new InvalidOperationException($"refused input {x}");

    /// <summary>The id of the node running the task (as <c>NodesAsync</c> names it).</summary>
    public static string WhereAmI() => RayContext.NodeId.Value;

    /// <summary>A ~20 ms task (the "5,000 tasks, each ~20 ms") that says where it ran.</summary>
    public static (int Value, string Node) SlowSquare(int x)
    {
        Thread.Sleep(20);
        return (x * x, RayContext.NodeId.Value);
    }

    /// <summary>A value of a [GenerateSerializer] type defined only in this assembly: a node knows how to serialize it
    /// only when it loaded this assembly with --load.</summary>
    public static Point Mirror(Point p) => new(p.Y, p.X, RayContext.NodeId.Value);

    /// <summary>Holds its resources until <paramref name="releaseFile"/> exists (the test creates it), at most
    /// <paramref name="deadlineMs"/>; returns the node it ran on. Lets a test watch usage while tasks run, without sleeps.</summary>
    public static string HoldUntil(string releaseFile, int deadlineMs)
    {
        var end = Environment.TickCount64 + deadlineMs;
        while (!File.Exists(releaseFile) && Environment.TickCount64 < end)
        {
            Thread.Sleep(20);
        }

        return RayContext.NodeId.Value;
    }

    /// <summary>Creates a file in <paramref name="folder"/> as it starts (a test counts the tasks that started), then holds
    /// its resources until its cancellation (<see cref="RayContext.CancellationToken"/>), at most
    /// <paramref name="deadlineMs"/>; returns whether it was cancelled.</summary>
    public static bool MarkThenAwaitCancel(string folder, int deadlineMs)
    {
        File.WriteAllText(Path.Combine(folder, Guid.NewGuid().ToString("N")), RayContext.NodeId.Value);
        return RayContext.CancellationToken.WaitHandle.WaitOne(deadlineMs);
    }

    /// <summary>Submits <paramref name="count"/> tasks of <see cref="MarkThenAwaitCancel"/> pinned to node
    /// <paramref name="node"/> from inside this task (nested: they belong to this task's job), then waits for its own
    /// cancellation as they do; returns how many it submitted.</summary>
    public static int SubmitMarkersThenAwaitCancel(string folder, string node, int count, int deadlineMs)
    {
        var options = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(node)), MaxRetries = 0 };
        var refs = Enumerable.Range(0, count).Select(_ => Ray.Current.Task(MarkThenAwaitCancel, folder, deadlineMs).Options(options).Remote()).ToArray();
        RayContext.CancellationToken.WaitHandle.WaitOne(deadlineMs);
        GC.KeepAlive(refs); // held to the end: the job's end, not dropped refs, must stop them
        return refs.Length;
    }

    /// <summary>Holds its resources for <paramref name="milliseconds"/> (the autoscaler tests' "tasks that each hold ~3 s":
    /// the work itself, not a wait of the test); returns the node it ran on.</summary>
    public static string Hold(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return RayContext.NodeId.Value;
    }
}
