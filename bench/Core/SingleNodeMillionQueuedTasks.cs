using System.Diagnostics;
using System.Text.Json;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Core;

/// <summary>Ray's "single node 1M queued tasks" (release scalability test): submit 1,000,000 trivial tasks without
/// awaiting, then wait for all; seconds from the first submit to the last result.</summary>
/// <remarks>
/// Each run happens in a fresh child process (this bench, started again with this benchmark's name), because the
/// peak memory is a property of a process and earlier benchmarks leave theirs behind (the object-store benchmarks map
/// gigabytes). Companion "single node 1M queued tasks peak memory" (MiB): the child's peak working set during the run
/// (see <see cref="PeakMemorySampler"/>): the embedded node, the 1M refs, queues and results, everything resident.
/// The refs live in one array until the results are in, as a user's <c>ray.get(refs)</c> would keep them.
/// With --quick: 100,000 tasks.
/// </remarks>
internal sealed class SingleNodeMillionQueuedTasks : Benchmark
{
    private const int Tasks = 1_000_000;

    public override string Name => "single node 1M queued tasks";

    public override string Unit => "s";

    public override string Group => "scale";

    /// <summary>Set in the child process, which measures in-process (one run).</summary>
    private const string InProcessVariable = "ORLEANSRAY_BENCH_1M_INPROCESS";

    private static readonly bool InProcess = Environment.GetEnvironmentVariable(InProcessVariable) == "1";

    public override int Runs => InProcess ? 1 : 2;

    public override int Warmups => 0;

    public override Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run) =>
        InProcess ? MeasureHereAsync(environment, run) : MeasureInChildAsync(environment, run);

    private async Task<double> MeasureInChildAsync(BenchEnvironment environment, BenchRun run)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Started as `dotnet OrleansRay.Bench.dll`: the child needs the dll too.
            start.ArgumentList.Add(typeof(SingleNodeMillionQueuedTasks).Assembly.Location);
        }

        start.ArgumentList.Add(Name);
        start.ArgumentList.Add("--json");
        if (environment.Quick)
        {
            start.ArgumentList.Add("--quick");
        }

        start.Environment[InProcessVariable] = "1";
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        try
        {
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(6));
        }
        catch (TimeoutException)
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"Benchmark \"{Name}\": the child process (pid {child.Id}) did not finish within 6 minutes; killed. Its stderr:\n{await stderr}");
        }

        var (output, errors) = (await stdout, await stderr);
        // Pass on the child's own line of figures, and any warning or failure its node logged.
        foreach (var line in errors.Split('\n'))
        {
            if (line.IndexOf("[", StringComparison.Ordinal) is var at and >= 0 && line.Contains("tasks: submitted", StringComparison.Ordinal))
            {
                Console.Error.Write(line[at..].Trim() + " ");
            }
            else if (line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("\n  child: " + line.Trim());
            }
        }

        var json = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('['));
        if (child.ExitCode != 0 || json is null)
        {
            throw new InvalidOperationException($"Benchmark \"{Name}\": the child process failed (exit code {child.ExitCode}). Its output:\n{output}\n{errors}");
        }

        double? seconds = null;
        foreach (var figure in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            var name = figure.GetProperty("name").GetString();
            var value = figure.GetProperty("value").GetDouble();
            if (name == Name)
            {
                seconds = value;
            }
            else if (name is not null)
            {
                run.Report(name, value, figure.GetProperty("unit").GetString() ?? string.Empty);
            }
        }

        return seconds ?? throw new InvalidOperationException($"Benchmark \"{Name}\": the child process reported no figure. Its output:\n{output}");
    }

    private async Task<double> MeasureHereAsync(BenchEnvironment environment, BenchRun run)
    {
        var ray = await RayCluster.DriverAsync(environment);
        var count = Measure.Count(environment, Tasks);
        using var memory = PeakMemorySampler.Start();
        var (submit, total) = await Measure.GuardAsync(Name, async () =>
        {
            var executions = BenchFunctions.Executions;
            var refs = new ObjectRef<int>[count];
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                refs[i] = ray.Task(BenchFunctions.SmallValue).Remote();
            }

            var submitted = stopwatch.Elapsed;
            var values = await ray.GetAsync(refs);
            var elapsed = stopwatch.Elapsed;
            Measure.CheckAllExpected(Name, values, count);
            Measure.CheckExecutions(Name, executions, count);
            return (submitted, elapsed);
        }, TimeSpan.FromMinutes(5));
        memory.Stop();

        const double MiB = 1 << 20;
        run.Report(Name + " peak memory", memory.Peak / MiB, "MiB");
        Console.Error.Write($"[{count:N0} tasks: submitted in {submit.TotalSeconds:F2} s, all done in {total.TotalSeconds:F2} s; " +
                            $"working set {memory.Baseline / MiB:F0} MiB before, peak {memory.Peak / MiB:F0} MiB ({memory.Method})] ");
        return total.TotalSeconds;
    }
}
