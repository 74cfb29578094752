// Word counts on a running OrleansRay cluster (README, "Run your program on a cluster"):
//   orleansray start --head                       # nodes started without --load
//   dotnet run --project examples/WordCount -- auto
// The nodes never saw this program: its code (Count, Tally, WordTally) travels with its job when it connects.
using OrleansRay;
using WordCount;

var address = args.Length > 0 ? args[0] : "auto"; // "auto": $ORLEANSRAY_ADDRESS, else the head started on this machine
var options = new RayOptions { Address = address };
options.RuntimeEnv.EnvVars["WORDCOUNT_MIN_LENGTH"] = "3"; // the job's environment, read by its tasks on the nodes
await using IRay ray = await Ray.InitAsync(options);

string[] chunks =
[
    "the quick brown fox jumps over the lazy dog",
    "the dog sleeps and the fox runs",
    "a quick fox is a happy fox",
];

// One task per chunk, spread over the nodes; each returns a record of this program's own type.
var counted = chunks
    .Select(chunk => ray.Task(Words.Count, chunk).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.Spread }).Remote())
    .ToList();

// An actor of this program's own class sums them.
ActorHandle<WordTally> tally = ray.Actor(() => new WordTally()).Remote();
foreach (var counts in counted)
{
    await tally.Task((t, c) => t.Add(c), counts).Remote();
}

WordCounts total = await tally.Task(t => t.Total()).Remote();
foreach (var (word, count) in total.Counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(3))
{
    Console.WriteLine($"{word}: {count}");
}

Console.WriteLine($"{total.Counts.Count} distinct words of at least {total.MinLength} letters, counted on {total.Nodes.Count} node(s)");
