using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>The TestApp as a driver program, for <c>orleansray job submit -- dotnet OrleansRay.Cluster.TestApp.dll VERB</c>:
/// it connects with <c>Address = "auto"</c> (the <c>ORLEANSRAY_ADDRESS</c> a submitted job gets) and runs as the job
/// <c>ORLEANSRAY_JOB_ID</c> names.</summary>
/// <remarks>Verbs: <c>squares N</c> sums the squares of 1..N as tasks and prints the sum, then adds N to an ordinary
/// grain (<see cref="ITallyGrain"/>) from the driver and from a task and prints the total; <c>exit CODE</c> runs one task,
/// then exits with CODE after disposing its driver (the job's exit code must still win); <c>wait</c> prints "connected"
/// and waits to be stopped (<c>embedded-wait</c> the same with an embedded node, printing "ready"); <c>crash</c> runs one task, prints "crashing" and ends the process with
/// <c>Environment.FailFast</c> (exit 134, its driver never disposed); <c>throw</c> runs one task and lets an exception
/// escape Main (the <c>await using</c> disposes the driver on the way out, then the runtime aborts: exit 134);
/// <c>acceptance VICTIM-IP</c> runs the cluster acceptance workload (<see cref="Acceptance"/>); <c>train WORKERS STORAGE
/// RELEASE-FILE</c> trains <see cref="LinearTraining"/> with WORKERS workers (holding after epoch 1 until RELEASE-FILE
/// exists) and prints the trainer's progress and the result; <c>abandon N FOLDER NODE exit|dispose [nested]</c> submits
/// N tasks pinned to the node whose id starts with NODE (with <c>nested</c>, from inside one task of its own), each
/// creating a file in FOLDER as it starts and then waiting for its cancellation (<see cref="AbandonedTasks"/>), waits
/// until the node runs as many as it has CPUs (the rest queue there), prints "abandoning", and ends without waiting for
/// them: <c>exit</c> with <c>Environment.Exit(3)</c> (its driver never disposed), <c>dispose</c> by disposing its driver
/// (exit 0); <c>groups N PREFIX</c> creates the placement group PREFIX-ends of N 1-CPU bundles, the detached group
/// PREFIX-kept and, inside a task, the actor PREFIX-actor (1 CPU) (<see cref="HeldGroups"/>), prints "holding" and waits
/// to be killed; <c>logs NODE TOKEN [off]</c> runs a task, a nested task and an actor method that print lines holding
/// TOKEN on the node whose id starts with NODE (<see cref="Chatter"/>; with <c>off</c>, <c>LogToDriver = false</c>),
/// prints "ran on NODE-ID"; then it waits until the work's lines have reached it, prints "all task output arrived" and
/// exits (with <c>off</c>: exits once a line, or the end, comes on stdin); <c>print COUNT TOKEN</c> runs one task that
/// prints COUNT lines holding TOKEN on its node (<see cref="Printer"/>), with <c>LogToDriver = false</c>; <c>own NAME</c>
/// puts an object, gives its ref to the new detached actor NAME, prints "holding NAME" and waits to be killed;
/// <c>read-held NAME SECONDS</c> reads the ref that actor holds within SECONDS and prints what came of it
/// (<see cref="HeldRefs"/>); <c>workdir FILE</c> prints the job's working dir as the driver sees it and what a task
/// pinned to each live node reads of FILE there (<see cref="WorkingDirs"/>); <c>await-head NODE</c> awaits, without a
/// timeout, a task that never ends pinned to the node whose id starts with NODE, printing "awaiting a task on NODE-ID"
/// first (a test kills that node: the driver's <c>ClusterLostException</c> escapes Main); <c>await-head NODE FILE</c>
/// does the same with a task that ends once FILE exists, then prints "released on NODE-ID" and exits 0; <c>steady</c>
/// runs a task and an actor call per round, printing "round N ok" or "round N failed: TYPE", until a
/// <c>ClusterLostException</c> escapes Main.</remarks>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var verb = args.Length > 0 ? args[0] : string.Empty;
        if (verb == "acceptance")
        {
            // Its own connection and arguments (an address, not a number): Acceptance.cs.
            return await Acceptance.RunAsync(args[1..]);
        }

        if (verb == "logs")
        {
            // Its own options: LogToDriver on, or off with a third argument "off". Runs Chatter's printing work on the node
            // named by its first argument; on, it waits until the work's output has arrived and ends; off, it waits for a
            // line on stdin (the test reads its output meanwhile). With "flood" as the third argument it also runs a task
            // that prints Chatter.FloodLines lines, and ends as soon as the work returned: the output still on its way
            // must reach it as its job ends.
            var mode = args.Length < 4 ? string.Empty : args[3];
            var logToDriver = mode != "off";
            await using var ray = await Ray.InitAsync(new RayOptions { Address = "auto", LogToDriver = logToDriver });
            await Chatter.RunAsync(ray, args[1], args[2], awaitOutput: logToDriver && mode != "flood", flood: mode == "flood");
            if (!logToDriver)
            {
                _ = await Console.In.ReadLineAsync();
            }

            return 0;
        }

        if (verb == "print")
        {
            // A task on the cluster prints COUNT lines holding TOKEN to the node's log (not to this driver), then this
            // driver prints "printed COUNT".
            await using var ray = await Ray.InitAsync(new RayOptions { Address = "auto", LogToDriver = false });
            var count = int.Parse(args[1], CultureInfo.InvariantCulture);
            var printed = await ray.GetAsync(ray.Task(Printer.PrintLines, count, args[2]).Remote(), TimeSpan.FromSeconds(60));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"printed {printed}"));
            return 0;
        }

        if (verb == "embedded-wait")
        {
            // An embedded node (no cluster): prints "ready" and waits to be stopped, by Ctrl+C or SIGTERM.
            await using var embedded = await Ray.InitAsync();
            _ = await embedded.GetAsync(embedded.Task(Work.Square, 2).Remote(), TimeSpan.FromSeconds(60));
            Console.WriteLine("ready");
            await Task.Delay(Timeout.Infinite);
        }

        var number = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var given) ? given : 0;
        await using (var ray = await Ray.InitAsync(new RayOptions { Address = "auto" }))
        {
            // The job table shows a driver by its pid: tests find a driver's row by this line.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"driver pid {Environment.ProcessId}"));
            switch (verb)
            {
                case "squares":
                    var squares = await ray.GetAsync(Enumerable.Range(1, number).Select(i => ray.Task(Work.Square, i).Remote()).ToArray(), TimeSpan.FromSeconds(60));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sum of squares 1..{number} = {squares.Sum()}"));
                    // The application's ordinary grain (its class is on the nodes through --load), from this driver
                    // and from a task of this job's shipped code (the same build, so it uses the node's copy).
                    var tally = "squares-" + Guid.NewGuid().ToString("N");
                    _ = await ray.GrainFactory.GetGrain<ITallyGrain>(tally).AddAsync(number);
                    var fromTask = await ray.GetAsync(ray.Task(Tallies.AddFromTask, tally, number).Remote(), TimeSpan.FromSeconds(60));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tally from driver and task = {fromTask.Split('|')[1]}"));
                    return 0;
                case "exit":
                    var square = await ray.GetAsync(ray.Task(Work.Square, 3).Remote(), TimeSpan.FromSeconds(60));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"square 3 = {square}"));
                    break;
                case "crash":
                    _ = await ray.GetAsync(ray.Task(Work.Square, 3).Remote(), TimeSpan.FromSeconds(60));
                    Console.WriteLine("crashing");
                    Console.Out.Flush();
                    Environment.FailFast("TestApp crash verb: the driver dies without disposing its IRay");
                    break;
                case "throw":
                    _ = await ray.GetAsync(ray.Task(Work.Square, 3).Remote(), TimeSpan.FromSeconds(60));
                    Console.WriteLine("throwing");
                    throw new InvalidOperationException("TestApp throw verb: an unhandled exception ends the driver");
                case "train":
                    return await LinearTraining.RunAsDriverAsync(ray, number, args[2], args[3]);
                case "abandon":
                    await AbandonedTasks.SubmitAsync(ray, number, args[2], args[3], nested: args.Length > 5 && args[5] == "nested");
                    if (args[4] == "exit")
                    {
                        Environment.Exit(3);
                    }

                    return 0; // disposes the driver on the way out
                case "groups":
                    await HeldGroups.HoldAsync(ray, number, args[2]);
                    await Task.Delay(Timeout.Infinite); // until killed: its job's end must clean up what it holds
                    break;
                case "own":
                    await HeldRefs.OwnAsync(ray, args[1]);
                    await Task.Delay(Timeout.Infinite); // until killed: the actor's borrowed ref then has a dead owner
                    break;
                case "read-held":
                    await HeldRefs.ReadAsync(ray, args[1], TimeSpan.FromSeconds(int.Parse(args[2], CultureInfo.InvariantCulture)));
                    return 0;
                case "workdir":
                    await WorkingDirs.PrintAsync(ray, args[1]);
                    return 0;
                case "await-head":
                    // A task pinned to the node whose id starts with args[1] (the head), awaited without a timeout: it never
                    // ends (a test kills that node, and the driver's ClusterLostException escapes Main), or ends once the
                    // file args[2] exists (a test pauses the head for less than the driver's reconnect timeout, then
                    // releases the task).
                    var head = (await ray.NodesAsync()).Single(n => n.IsAlive && n.Id.Value.StartsWith(args[1], StringComparison.Ordinal));
                    var release = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N"));
                    var held = ray.Task(Work.HoldUntil, release, 600_000)
                        .Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(head.Id), MaxRetries = 0 }).Remote();
                    Console.WriteLine("awaiting a task on " + head.Id);
                    Console.Out.Flush();
                    Console.WriteLine("released on " + await ray.GetAsync(held));
                    return 0;
                case "steady":
                    // A task and an actor call per round, each failure but ClusterLostException printed and survived,
                    // until ClusterLostException escapes Main: a test pauses this process past the cluster's 15 s
                    // driver deadline (the cluster ends the job meanwhile) and watches what the driver makes of it.
                    var steadyCounter = ray.Actor(() => new Counter()).Remote();
                    for (var round = 1; ; round++)
                    {
                        try
                        {
                            _ = await ray.GetAsync(ray.Task(Work.Square, round).Remote(), TimeSpan.FromSeconds(30));
                            _ = await ray.GetAsync(steadyCounter.Task(CounterCalls.Increment).Remote(), TimeSpan.FromSeconds(30));
                            Console.WriteLine("round " + round.ToString(CultureInfo.InvariantCulture) + " ok");
                        }
                        catch (Exception ex) when (ex is not ClusterLostException)
                        {
                            Console.WriteLine("round " + round.ToString(CultureInfo.InvariantCulture) + " failed: " + ex.GetType().Name);
                        }

                        Console.Out.Flush();
                        await Task.Delay(200);
                    }

                case "ask-when":
                    // Once the file args[1] exists (a test makes it after pausing the head), asks the cluster for its nodes
                    // and its actors, and prints how each call ended and after how long (the test then kills the head).
                    Console.WriteLine("connected");
                    Console.Out.Flush();
                    while (!File.Exists(args[1]))
                    {
                        await Task.Delay(20);
                    }

                    Console.WriteLine("asking");
                    Console.Out.Flush();
                    await Task.WhenAll(AskAsync("NodesAsync", ray.NodesAsync()), AskAsync("State.ListActorsAsync", ray.State.ListActorsAsync()));
                    return 0;
                case "wait":
                    Console.WriteLine("connected");
                    await Task.Delay(Timeout.Infinite);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown verb '{verb}': squares N | exit CODE | crash | throw | wait | embedded-wait | train WORKERS STORAGE RELEASE-FILE | abandon N FOLDER NODE exit|dispose [nested] | groups N PREFIX | logs NODE TOKEN [off] | print COUNT TOKEN | own NAME | read-held NAME SECONDS | workdir FILE | await-head NODE [FILE] | steady | ask-when FILE | acceptance VICTIM-IP");
                    return 2;
            }
        }

        return number;
    }

    /// <summary>Awaits <paramref name="call"/> and prints "ASK name: outcome after N ms".</summary>
    private static async Task AskAsync(string name, Task call)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        string outcome;
        try
        {
            await call;
            outcome = "answered";
        }
        catch (Exception ex)
        {
            outcome = ex.GetType().Name;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ASK {name}: {outcome} after {started.ElapsedMilliseconds} ms"));
        Console.Out.Flush();
    }
}
