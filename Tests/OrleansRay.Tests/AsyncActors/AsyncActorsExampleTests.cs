using AsyncActors;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests.AsyncActors;

/// <summary>examples/AsyncActors, run against the shared embedded node.</summary>
[Collection(RayCollection.Name)]
public sealed class AsyncActorsExampleTests
{
    private readonly IRay _ray;

    public AsyncActorsExampleTests(RayFixture fixture) => _ray = fixture.Ray;

    [Fact]
    public async Task The_crawler_indexes_every_page_within_its_groups_limits()
    {
        var stats = await Demo.RunAsync(_ray, pages: 40);
        Assert.Equal(40, stats.Pages);
        Assert.Equal(40 * 7, stats.Words); // "<url> says hello to everyone reading <url>"
        Assert.InRange(stats.PeakDownloads, 1, Demo.Downloads);
        Assert.InRange(stats.PeakIndexing, 1, Demo.Indexings);
    }
}
