using OrleansRay.Tests.Fixtures;
using StateApi;
using Xunit;

namespace OrleansRay.Tests.RayState;

/// <summary>examples/StateApi runs its tour on the embedded fixture: the failed tasks, the summary and memory it prints
/// are the work it did, and so is the timeline file it writes.</summary>
[Collection(RayCollection.Name)]
public sealed class StateApiExampleTests
{
    private readonly RayFixture _fixture;

    public StateApiExampleTests(RayFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task The_state_api_example_lists_its_failed_tasks_summarizes_its_squares_and_shows_its_objects()
    {
        using var output = new StringWriter();
        var result = await StateTour.RunAsync(_fixture.Ray, output);
        try
        {
            Assert.Equal(2, result.Failed);
            Assert.True(result.Finished >= 10, $"squares finished: {result.Finished}");
            Assert.Equal(10, result.Objects);
            Assert.Contains("System.ArgumentOutOfRangeException", output.ToString(), StringComparison.Ordinal);
            Assert.True(result.TimelineSquares >= 10, $"squares on the timeline: {result.TimelineSquares}");
            using var trace = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(result.TimelineFile));
            Assert.Equal(result.TimelineSquares, trace.RootElement.EnumerateArray().Count(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("name").GetString() == "StateTour.Square"));
        }
        finally
        {
            File.Delete(result.TimelineFile);
        }
    }
}
