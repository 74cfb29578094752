using ActorPoolExample;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.Utilities;

/// <summary>examples/ActorPool's work against the shared in-process node.</summary>
[Collection(RayCollection.Name)]
public sealed class ActorPoolExampleTests
{
    private readonly IRay _ray;

    public ActorPoolExampleTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task The_example_scores_the_batch_in_order_on_every_model_and_flags_the_streamed_negatives()
    {
        var output = new StringWriter();

        var report = await ReviewScoring.RunAsync(_ray, output).WaitAsync(TimeSpan.FromMinutes(1));

        var weights = Lexicon.Load();
        Assert.Equal(ReviewScoring.Batch.Select(r => Lexicon.Score(weights, r)), report.Scores);
        Assert.Equal(4, report.ScoredPerModel.Count);
        Assert.All(report.ScoredPerModel.Values, scored => Assert.True(scored > 0, "every model of the pool scored a review"));
        Assert.Equal(ReviewScoring.Batch.Length, report.ScoredPerModel.Values.Sum());
        Assert.Equal(5 * ReviewScoring.Batch.Length, report.Streamed);
        var negatives = ReviewScoring.Batch.Where(r => Lexicon.Score(weights, r) < 0).ToList();
        Assert.Equal(5 * negatives.Count, report.Flagged.Count);
        Assert.All(report.Flagged, f => Assert.Contains(f, negatives));
        Assert.Contains("flagged negative", output.ToString(), StringComparison.Ordinal);
    }
}
