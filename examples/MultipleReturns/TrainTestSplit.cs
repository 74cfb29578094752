using OrleansRay;

namespace MultipleReturns;

/// <summary>What <see cref="TrainTestSplit.RunAsync"/> found.</summary>
/// <param name="TrainCount">Samples in the training part.</param>
/// <param name="TestCount">Samples in the test part.</param>
/// <param name="TrainMean">The training part's mean (the split's third return).</param>
/// <param name="Model">The fitted model (here: the training part's mean, computed by another task).</param>
/// <param name="TestError">Mean squared error of the model on the test part.</param>
public sealed record SplitReport(int TrainCount, int TestCount, double TrainMean, double Model, double TestError);

/// <summary>A train/test split as one task with three returns: the large training part goes to the object store on
/// its own, the small test part and the mean stay inline, and each goes to the task that needs it.</summary>
public static class TrainTestSplit
{
    /// <summary>Makes <paramref name="samples"/> noisy samples around 3.0 and splits off every fifth as test data.</summary>
    /// <returns>The training part, the test part, and the training part's mean: three objects for the caller.</returns>
    public static (double[] Train, double[] Test, double TrainMean) Split(int samples, int seed)
    {
        var random = new Random(seed);
        var train = new List<double>(samples);
        var test = new List<double>(samples / 5 + 1);
        for (var i = 0; i < samples; i++)
        {
            var value = 3.0 + (random.NextDouble() - 0.5);
            (i % 5 == 0 ? test : train).Add(value);
        }

        return (train.ToArray(), test.ToArray(), train.Average());
    }

    /// <summary>"Trains" a model: the mean of the training data.</summary>
    public static double Fit(double[] train) => train.Average();

    /// <summary>Mean squared error of <paramref name="model"/> on <paramref name="test"/>.</summary>
    public static double Score(double model, double[] test) => test.Average(v => (v - model) * (v - model));

    /// <summary>Runs the split and the tasks that read its parts on <paramref name="ray"/>.</summary>
    /// <param name="ray">A driver (<c>Ray.InitAsync</c>) or the fixture of a test.</param>
    /// <param name="samples">How many samples to make (100,000 makes a 640 KB training part: stored, not inline).</param>
    public static async Task<SplitReport> RunAsync(IRay ray, int samples)
    {
        ArgumentNullException.ThrowIfNull(ray);

        // RemoteMany(): one typed ref per element of the returned tuple (Remote() would give one ref of the whole).
        var (train, test, trainMean) = ray.Task(Split, samples, 42).RemoteMany();

        // Each ref goes to the task that needs it; only that element travels.
        var model = ray.Task(Fit, train).Remote();
        var error = ray.Task(Score, model, test).Remote();
        var trainCount = ray.Task(static (double[] part) => part.Length, train).Remote();

        var report = new SplitReport(await trainCount, (await test).Length, await trainMean, await model, await error);

        // Each part is freed on its own: the training data can go while the test data is still in use.
        train.Dispose();
        test.Dispose();
        return report;
    }
}
