using OrleansRay.Tests.Fixtures;
using OrleansRay.Train;
using TrainExample;
using Xunit;

namespace OrleansRay.Tests.Training;

/// <summary>examples/Train, run as a user runs it: 1 and 2 workers learn y = 2x + 5, and a small MLP, with data-parallel SGD.</summary>
[Collection(RayCollection.Name)]
public sealed class TrainExampleTests
{
    private readonly IRay _ray;

    public TrainExampleTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task One_and_two_workers_learn_y_equals_2x_plus_5_and_agree()
    {
        using var storage = new TempStorage();
        var one = await LinearRegression.RunAsync(_ray, new LinearRegressionRun(NumWorkers: 1, Epochs: 3, StoragePath: storage.Path));
        var two = await LinearRegression.RunAsync(_ray, new LinearRegressionRun(NumWorkers: 2, Epochs: 3, StoragePath: storage.Path));

        foreach (var outcome in new[] { one, two })
        {
            var history = outcome.Result.MetricsHistory;
            Assert.Equal(new[] { 1.0, 2.0, 3.0 }, history.Select(m => m["epoch"]));
            Assert.Equal(new[] { 1.0, 2.0, 3.0 }, history.Select(m => m["training_iteration"]));
            Assert.True(history[^1]["loss"] < history[0]["loss"], $"loss went from {history[0]["loss"]} to {history[^1]["loss"]}");
            Assert.InRange(outcome.Weight, 1.9f, 2.1f);
            Assert.InRange(outcome.Bias, 4.95f, 5.05f);
            Assert.Equal(1, outcome.Result.Attempts);
        }

        // The same data, the same full-batch steps: 2 workers compute what 1 does, up to float summation order.
        Assert.Equal(one.Weight, two.Weight, 1e-3f);
        Assert.Equal(one.Bias, two.Bias, 1e-3f);
        for (var epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(one.Result.MetricsHistory[epoch]["loss"], two.Result.MetricsHistory[epoch]["loss"], 1e-4);
        }
    }

    [Fact]
    public async Task A_small_MLP_learns_on_one_and_two_workers_alike()
    {
        using var storage = new TempStorage();
        var one = await Mlp.RunAsync(_ray, numWorkers: 1, storagePath: storage.Path);
        var two = await Mlp.RunAsync(_ray, numWorkers: 2, storagePath: storage.Path);

        foreach (var result in new[] { one, two })
        {
            Assert.Equal(new[] { 1.0, 2.0, 3.0 }, result.MetricsHistory.Select(m => m["epoch"]));
            Assert.True(result.MetricsHistory[^1]["loss"] < result.MetricsHistory[0]["loss"] / 2, string.Join(", ", result.MetricsHistory.Select(m => m["loss"])));
        }

        for (var epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(one.MetricsHistory[epoch]["loss"], two.MetricsHistory[epoch]["loss"], 1e-3);
        }
    }
}
