using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.MultipleReturns;

/// <summary>examples/MultipleReturns against the embedded node.</summary>
[Collection(RayCollection.Name)]
public sealed class MultipleReturnsExampleTests
{
    private readonly IRay _ray;

    public MultipleReturnsExampleTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task The_train_test_split_example_reads_each_return_in_the_task_that_needs_it()
    {
        var report = await global::MultipleReturns.TrainTestSplit.RunAsync(_ray, samples: 100_000);

        Assert.Equal(80_000, report.TrainCount);
        Assert.Equal(20_000, report.TestCount);
        Assert.Equal(report.TrainMean, report.Model, 12);
        Assert.InRange(report.Model, 2.99, 3.01);
        Assert.InRange(report.TestError, 1.0 / 12 * 0.9, 1.0 / 12 * 1.1); // variance of a uniform over a width of 1
    }
}
