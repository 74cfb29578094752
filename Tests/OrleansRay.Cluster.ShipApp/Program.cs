using System.Globalization;
using OrleansRay;
using ShipModel;

namespace ShipApp;

/// <summary>The code-shipping driver. Verbs:
/// <c>run [READY-FILE PEER-READY-FILE]</c> connects with <c>Address = "auto"</c>, runs one round of checks (tasks, an
/// actor, a user record as argument and result, nested refs, an actor handle passed to a task, the job's environment
/// variable) and prints each as "check NAME = VALUE"; with the two files, it then writes the first, waits for the peer's
/// (another build running at the same time) and runs the round again.
/// <c>hold</c> runs one round, keeps an actor alive, prints "holding" and waits to be killed.
/// <c>jobs N</c> runs N jobs one after another (each connection is a job; each has its own environment variable, so its
/// own code package on the nodes), each a short round.
/// <c>detached NAME</c> creates the detached actor NAME (an <see cref="Accumulator"/> of this build) and ends;
/// <c>call-detached NAME [warm] [kill]</c> calls it with this build's method, prints "called = TOTAL" or "call failed: TYPE:
/// MESSAGE", and with <c>kill</c> kills it.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var verb = args.Length > 0 ? args[0] : string.Empty;
        switch (verb)
        {
            case "run":
                return await RunAsync(args.Length >= 3 ? (args[1], args[2]) : null);
            case "hold":
            {
                // Runs a round, keeps an actor, says so and waits to be killed (its job ends with its process).
                await using var ray = await Connect("hold");
                await RoundAsync(ray, 1);
                var kept = ray.Actor(() => new Accumulator(1)).Remote();
                _ = await kept.Task(a => a.Add(1)).Remote();
                Console.WriteLine("holding");
                await Task.Delay(Timeout.Infinite);
                return 0;
            }

            case "jobs":
                var count = int.Parse(args[1], CultureInfo.InvariantCulture);
                for (var i = 1; i <= count; i++)
                {
                    await using var ray = await Connect($"job {i}");
                    var total = await ray.GetAsync(ray.Task(Functions.Scale, new Measurement { Name = "j", Values = [i] }).Remote(), TimeSpan.FromSeconds(60));
                    var actor = ray.Actor(() => new Accumulator(i)).Remote();
                    _ = await actor.Task(a => a.Snapshot()).Remote();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"job {i} done {total.Values[0]}"));
                }

                return 0;
            case "detached":
            {
                // A detached actor of this build, left running for another job (of this build or another) to call.
                await using var ray = await Connect("detached");
                var actor = ray.Actor(() => new Accumulator(100)).Options(new ActorOptions { Name = args[1], Lifetime = ActorLifetime.Detached, NumCpus = 0 }).Remote();
                _ = await ray.GetAsync(actor.Task(a => a.Add(1)).Remote(), TimeSpan.FromSeconds(60));
                Console.WriteLine("created " + args[1]);
                return 0;
            }

            case "call-detached":
            {
                // Calls the detached actor NAME with this build's method; with "kill", kills it afterwards. The job's
                // environment is the creator's, so the same build's job code is the same package.
                await using var ray = await Connect("detached");
                var actor = await ray.GetActorAsync<Accumulator>(args[1]);
                if (args.Skip(2).Contains("warm"))
                {
                    // Every node loads this build's code first (a task of it runs there): the call then finds this
                    // build's method on the actor's node, whose types are still not the actor's.
                    foreach (var node in (await ray.NodesAsync()).Where(n => n.IsAlive))
                    {
                        var on = new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(node.Id) };
                        _ = await ray.GetAsync(ray.Task(Functions.WhereAndWhich).Options(on).Remote(), TimeSpan.FromSeconds(60));
                    }
                }

                try
                {
                    var total = await ray.GetAsync(actor.Task(a => a.Add(1)).Remote(), TimeSpan.FromSeconds(60));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"called = {total}"));
                }
                catch (RayException ex)
                {
                    Console.WriteLine($"call failed: {ex.GetType().Name}: {ex.Message}");
                }

                if (args.Skip(2).Contains("kill"))
                {
                    await ray.KillAsync(actor);
                }

                return 0;
            }

            default:
                await Console.Error.WriteLineAsync($"unknown verb '{verb}': run [READY PEER-READY] | hold | jobs N | detached NAME | call-detached NAME [warm] [kill]");
                return 2;
        }
    }

    private static Task<IRay> Connect(string job)
    {
        var options = new RayOptions { Address = "auto", LogLevel = Microsoft.Extensions.Logging.LogLevel.Information };
        options.RuntimeEnv.EnvVars["SHIP_GREETING"] = $"hello from {Functions.Version} {job}";
        return Ray.InitAsync(options);
    }

    private static async Task<int> RunAsync((string Ready, string PeerReady)? barrier)
    {
        await using var ray = await Connect("run");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"driver pid {Environment.ProcessId}"));
        await RoundAsync(ray, 1);
        if (barrier is { } files)
        {
            await File.WriteAllTextAsync(files.Ready, "ready");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (!File.Exists(files.PeerReady))
            {
                if (DateTime.UtcNow > deadline)
                {
                    await Console.Error.WriteLineAsync("the other build never became ready");
                    return 3;
                }

                await Task.Delay(50);
            }

            await RoundAsync(ray, 2);
        }

        return 0;
    }

    /// <summary>"answered N", or the failure as "ExceptionType: first sentence" (a task's by its original type).</summary>
    private static async Task<string> OutcomeAsync(Func<Task<int>> call)
    {
        static string First(string message) => message.IndexOf(". ", StringComparison.Ordinal) is var end and > 0 ? message[..(end + 1)] : message;
        try
        {
            var answer = await call();
            return string.Create(CultureInfo.InvariantCulture, $"answered {answer}");
        }
        catch (RayTaskException ex)
        {
            return $"{ex.OriginalExceptionType}: {First(ex.OriginalMessage)}";
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().FullName}: {First(ex.Message)}";
        }
    }

    private static async Task RoundAsync(IRay ray, int round)
    {
        var timeout = TimeSpan.FromSeconds(60);
        void Check(string name, object? value) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"check {round} {name} = {value}"));

        Check("version", await ray.GetAsync(ray.Task(Functions.WhichBuild).Remote(), timeout));
        var scaled = await ray.GetAsync(ray.Task(Functions.Scale, new Measurement { Name = "m", Values = [1, 2, 3] }).Remote(), timeout);
        Check("record", $"{scaled.Name} {string.Join(",", scaled.Values)}");
        var squares = Enumerable.Range(1, 3).Select(i => ray.Task(Functions.Square, i).Remote()).ToList();
        Check("nested-refs", await ray.GetAsync(ray.Task(Functions.SumRefs, squares).Remote(), timeout));
        var extra = await ray.PutAsync(40);
        Check("ref-in-record", await ray.GetAsync(ray.Task(Functions.SumWithExtra, new Measurement { Name = "e", Values = [1, 1], Extra = extra }).Remote(), timeout));
        var accumulator = ray.Actor(() => new Accumulator(10)).Remote();
        Check("actor", await accumulator.Task(a => a.Add(5)).Remote());
        Check("handle-in-task", await ray.GetAsync(ray.Task(Functions.AddThrough, accumulator, 1).Remote(), timeout));
        var snapshot = await accumulator.Task(a => a.Snapshot()).Remote();
        Check("actor-record", $"{snapshot.Name} {snapshot.Values[0]}");
        Check("env", await ray.GetAsync(ray.Task(Functions.Greeting).Remote(), timeout));
        // A task's own variables over the job's, on every node (Ray's task-level runtime_env env_vars).
        var staged = await ray.GetAsync(
            Enumerable.Range(0, 6).Select(_ => ray.Task(Functions.GreetingAndStage).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread, EnvVars = { ["SHIP_STAGE"] = "task" } }).Remote()),
            timeout);
        Check("env-task", string.Join(",", staged.Distinct()));
        var records = new List<ObjectRef<Measurement>> { await ray.PutAsync(new Measurement { Name = "a" }), await ray.PutAsync(new Measurement { Name = "b" }) };
        Check("refs-of-records", await ray.GetAsync(ray.Task(Functions.NamesOf, records).Remote(), timeout));
        var made = await ray.GetAsync(ray.Task(Functions.MakeRecordRef, "made").Remote(), timeout);
        Check("returned-ref", (await ray.GetAsync(made, timeout)).Name);
        var array = new[] { 1, 2, 3 };
        var put = await ray.PutAsync(array);
        array[0] = 99; // the put took a copy
        Check("put-copy", (await ray.GetAsync(put, timeout))[0]);
        var broken = ray.Actor(() => new Broken(7)).Remote();
        try
        {
            Check("broken-actor", await broken.Task(b => b.Get()).Remote());
        }
        catch (ActorDiedException died)
        {
            Check("broken-actor", died.Message.Contains("broken 7", StringComparison.Ordinal) ? "died: broken 7" : died.Message);
        }
        // A grain class that only travels with the job is hosted nowhere: the driver's GetGrain and a task's fail at
        // once (the nodes' grain classes are the ones they had at start), saying so.
        Check("grain-driver", await OutcomeAsync(() => ray.GrainFactory.GetGrain<IShippedGrain>("shipped").PingAsync()));
        Check("grain-task", await OutcomeAsync(async () => await ray.GetAsync(ray.Task(Functions.PingShippedGrain).Remote(), timeout)));
        // Spread over every node: each fetches and loads this job's code the first time it runs something of it.
        var spread = await ray.GetAsync(
            Enumerable.Range(0, 6).Select(_ => ray.Task(Functions.WhereAndWhich).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote()),
            timeout);
        Check("spread-nodes", spread.Select(s => s.Split('|')[0]).Distinct().Count());
        Check("spread-versions", string.Join(",", spread.Select(s => s.Split('|')[1]).Distinct().Order()));
        // Work returning nothing, shipped with the job: a void actor method, then an async Task function (on any node)
        // that calls the actor; each ref, an ObjectRef<Unit>, completes once its work has run.
        var ledger = ray.Actor(() => new Accumulator(0)).Remote();
        var set = await ledger.Task((a, total) => a.Set(total), 7).Remote();
        await ray.GetAsync(ray.Task(Functions.AddLater, ledger, 1).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote(), timeout);
        Check("nothing", $"{set} {(await ledger.Task(a => a.Snapshot()).Remote()).Values[0]}");
    }
}
