using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace OrleansRay.Bench.Harness;

/// <summary>Finds the benchmarks, runs the ones asked for, and prints a table and optionally JSON.</summary>
internal static class Harness
{
    private static readonly string[] KnownOptions = ["--json", "--quick", "--list"];

    private const string Usage = """
        usage: dotnet run -c Release --project bench -- [NAME | GROUP ...] [--json] [--quick] [--list]
          NAME     a benchmark's exact name, quoted ("1:1 actor calls sync"); GROUP runs a whole group (actors, baseline,
                   connected, ...). None: every benchmark, node processes included (minutes).
          --list   the names, units and groups, nothing run
          --json   the figures as JSON after the table
          --quick  fewer and shorter runs, no warm-up (checks that the rows work; figures not representative)
        Each row warms up unrecorded first (the connected round-trip rows for at least 15 s, while both processes
        compile), then reports the median of its runs.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        // An option mistyped must not start the whole bench (every row, node processes included).
        var unknownOptions = args.Where(a => a.StartsWith('-') && !KnownOptions.Contains(a)).ToList();
        if (unknownOptions.Count > 0)
        {
            Console.Error.WriteLine($"Unknown option(s): {string.Join(", ", unknownOptions)}.\n{Usage}");
            return 2;
        }

        var json = args.Contains("--json");
        var quick = args.Contains("--quick");
        var list = args.Contains("--list");
        var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();

        var all = Assembly.GetExecutingAssembly().GetTypes()
            .Where(t => typeof(Benchmark).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (Benchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Group, StringComparer.Ordinal).ThenBy(b => b.Name, StringComparer.Ordinal)
            .ToList();

        if (list)
        {
            foreach (var b in all)
            {
                Console.WriteLine($"{b.Name}\t{b.Unit}\t{b.Group}");
            }

            return 0;
        }

        var selected = names.Length == 0
            ? all
            : all.Where(b => names.Any(n => string.Equals(b.Name, n, StringComparison.OrdinalIgnoreCase)
                                           || b.Group.Equals(n, StringComparison.OrdinalIgnoreCase))).ToList();
        var unknown = names.Where(n => !all.Any(b => string.Equals(b.Name, n, StringComparison.OrdinalIgnoreCase)
                                                   || b.Group.Equals(n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            foreach (var name in unknown)
            {
                var near = RowNames.Nearest(name, all.Select(b => b.Name).Concat(all.Select(b => b.Group)).Distinct());
                Console.Error.WriteLine(near.Count == 0
                    ? $"Unknown benchmark name \"{name}\". Run with --list to see the names."
                    : $"Unknown benchmark name \"{name}\". Did you mean {string.Join(" or ", near.Select(n => $"\"{n}\""))}? Run with --list to see the names.");
            }

            return 2;
        }

#if DEBUG
        Console.Error.WriteLine("warning: this is a Debug build; figures are not representative. Use: dotnet run -c Release --project bench");
#endif
        var results = new List<BenchResult>();
        await using (var environment = new BenchEnvironment { Quick = quick })
        {
            string? group = null;
            foreach (var benchmark in selected)
            {
                if (group is not null && group != benchmark.Group)
                {
                    // What the last group created goes before this one runs, and its memory back to the system.
                    await environment.ReleaseAsync();
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                }

                group = benchmark.Group;
                results.AddRange(await RunOneAsync(benchmark, environment, quick));
            }
        }

        PrintTable(results);
        if (json)
        {
            var payload = results.Select(r => new { name = r.Name, value = Math.Round(r.Value, 4), unit = r.Unit });
            Console.WriteLine(JsonSerializer.Serialize(payload));
        }

        return 0;
    }

    /// <summary>A full, compacting collection, the finalizers it queued (refs release the values they hold), and another
    /// collection for what those freed. Before each row, so what the rows before it left is collected now rather than
    /// during its runs (whose figures would otherwise depend on which rows ran before), and at the start of a peak
    /// memory measurement (<see cref="Core.PeakMemorySampler"/>).</summary>
    internal static void CollectGarbage()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static async Task<IEnumerable<BenchResult>> RunOneAsync(Benchmark benchmark, BenchEnvironment environment, bool quick)
    {
        Console.Error.Write($"{benchmark.Name} ... ");
        CollectGarbage();
        var sw = Stopwatch.StartNew();
        await benchmark.SetupAsync(environment);
        try
        {
            var warmups = quick ? 0 : benchmark.Warmups;
            var runs = quick ? 1 : benchmark.Runs;
            var warming = Stopwatch.StartNew();
            for (var i = 0; i < warmups || (!quick && warming.Elapsed < benchmark.WarmupTime); i++)
            {
                await benchmark.MeasureAsync(environment, new BenchRun());
            }

            var samples = new List<double>();
            var companions = new Dictionary<string, (List<double> Values, string Unit)>(StringComparer.Ordinal);
            for (var i = 0; i < runs; i++)
            {
                var run = new BenchRun();
                samples.Add(await benchmark.MeasureAsync(environment, run));
                foreach (var (name, (value, unit)) in run.Companions)
                {
                    if (!companions.TryGetValue(name, out var list))
                    {
                        companions[name] = list = (new List<double>(), unit);
                    }

                    list.Values.Add(value);
                }
            }

            var results = new List<BenchResult> { new(benchmark.Name, Median(samples), benchmark.Unit, benchmark.Group, samples.ToArray()) };
            results.AddRange(companions.Select(c => new BenchResult(c.Key, Median(c.Value.Values), c.Value.Unit, benchmark.Group, c.Value.Values.ToArray())));
            Console.Error.WriteLine($"{Format(results[0].Value)} {benchmark.Unit} ({sw.Elapsed.TotalSeconds:F1} s)");
            return results;
        }
        finally
        {
            await benchmark.CleanupAsync();
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Format(double value) =>
        value >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>", load average 0.52 0.61 0.70" (1, 5, 15 minutes) where /proc has it: figures taken while other work
    /// keeps the cores busy are not comparable, and this says whether that was so.</summary>
    private static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return fields.Length >= 3 ? $", load average {fields[0]} {fields[1]} {fields[2]}" : string.Empty;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static void PrintTable(List<BenchResult> results)
    {
        var nameWidth = Math.Max(10, results.Count == 0 ? 10 : results.Max(r => r.Name.Length));
        Console.WriteLine($"{"benchmark".PadRight(nameWidth)}  {"median",14}  unit   runs");
        Console.WriteLine(new string('-', nameWidth + 30));
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Name.PadRight(nameWidth)}  {Format(r.Value),14}  {r.Unit,-5}  {r.Samples.Length}");
        }

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}{LoadAverage()}");
    }
}
