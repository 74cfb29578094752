using OrleansRay;

namespace ActorPoolExample;

/// <summary>What <see cref="ReviewScoring.RunAsync"/> did.</summary>
/// <param name="Scores">The batch's scores, in the order of <see cref="ReviewScoring.Batch"/>.</param>
/// <param name="ScoredPerModel">How many reviews each model actor scored.</param>
/// <param name="Streamed">Reviews that went through the queue.</param>
/// <param name="Flagged">The streamed reviews the workers flagged as negative.</param>
public sealed record ScoringReport(IReadOnlyList<double> Scores, IReadOnlyDictionary<string, int> ScoredPerModel, int Streamed, IReadOnlyList<string> Flagged);

/// <summary>Scores reviews with a pool of model actors, and a stream of reviews with workers fed by a queue.</summary>
public static class ReviewScoring
{
    public static readonly string[] Batch =
    [
        "Great product, works as described",
        "Broken on arrival, I want a refund",
        "Good value and fast shipping",
        "Slow and bad support",
        "I love it",
        "Never again",
        "Works. Good.",
        "It is fine",
    ];

    /// <summary>The end-of-stream marker a worker stops at (one per worker).</summary>
    private const string EndOfStream = "";

    public static async Task<ScoringReport> RunAsync(IRay ray, TextWriter output)
    {
        // 1. A batch through an actor pool: each model is built once and scores one review at a time; the pool keeps all
        //    four busy and gives the results back in the order of the input.
        var models = Enumerable.Range(1, 4).Select(i => ray.Actor(() => new SentimentModel($"model-{i}")).Remote()).ToList();
        var pool = new ActorPool<SentimentModel>(models);

        var scores = new List<double>();
        var i = 0;
        await foreach (var score in pool.MapAsync((model, review) => model.Score(review), Batch))
        {
            output.WriteLine($"{score,5:+0.0;-0.0; 0.0}  {Batch[i++]}");
            scores.Add(score);
        }

        var usage = new Dictionary<string, int>();
        foreach (var model in models)
        {
            var (name, scored) = await model.Task(m => m.Usage()).Remote();
            usage[name] = scored;
        }

        output.WriteLine($"scored {scores.Count} reviews on {usage.Count(u => u.Value > 0)} models: {string.Join(", ", usage.Select(u => $"{u.Key} {u.Value}"))}");

        // 2. A stream through a bounded queue: two worker tasks take reviews as they come; the producer waits whenever
        //    the workers fall 4 reviews behind.
        var queue = RayQueue<string>.Create(ray, maxSize: 4);
        const int workers = 2;
        var work = Enumerable.Range(0, workers).Select(_ => ray.Task(FlagNegative, queue).Remote()).ToList();

        var stream = Enumerable.Range(0, 5).SelectMany(_ => Batch).ToList();
        foreach (var review in stream)
        {
            await queue.PutAsync(review);
        }

        for (var w = 0; w < workers; w++)
        {
            await queue.PutAsync(EndOfStream);
        }

        var flagged = (await ray.GetAsync(work)).SelectMany(f => f).ToList();
        await queue.ShutdownAsync();
        output.WriteLine($"streamed {stream.Count} reviews to {workers} workers through a queue of 4: {flagged.Count} flagged negative");
        return new ScoringReport(scores, usage, stream.Count, flagged);
    }

    /// <summary>A worker task: takes reviews until the end-of-stream marker and returns the negative ones.</summary>
    public static async Task<List<string>> FlagNegative(RayQueue<string> queue)
    {
        var weights = Lexicon.Load();
        var flagged = new List<string>();
        while (await queue.GetAsync(TimeSpan.FromMinutes(1)) is { Length: > 0 } review)
        {
            if (Lexicon.Score(weights, review) < 0)
            {
                flagged.Add(review);
            }
        }

        return flagged;
    }
}
