using OrleansRay;

namespace AsyncActors;

/// <summary>The example's work, callable from a test against any <see cref="IRay"/>.</summary>
public static class Demo
{
    /// <summary>Downloads in the "io" group at once (Ray: <c>concurrency_groups={"io": 8, "compute": 2}</c>).</summary>
    public const int Downloads = 8;

    /// <summary>Indexings in the "compute" group at once.</summary>
    public const int Indexings = 2;

    /// <summary>Crawls <paramref name="pages"/> pages with one <see cref="Crawler"/> actor and returns its stats.</summary>
    public static async Task<CrawlStats> RunAsync(IRay ray, int pages = 40)
    {
        var crawler = ray.Actor(() => new Crawler())
            .Options(new ActorOptions { ConcurrencyGroups = { ["io"] = Downloads, ["compute"] = Indexings } })
            .Remote();

        var urls = Enumerable.Range(0, pages).Select(i => $"https://example.org/page/{i}").ToArray();
        // Every download is submitted at once; the actor runs 8 at a time, interleaved on its "io" context.
        var texts = urls.Select(url => crawler.Task((c, u) => c.DownloadAsync(u), url).Remote()).ToArray();
        // Each indexing takes its page's text as an ObjectRef: it starts when that download is done.
        var indexed = urls.Zip(texts, (url, text) => crawler.Task((c, u, t) => c.IndexAsync(u, t), url, text).Remote()).ToArray();
        await ray.GetAsync(indexed);

        var stats = await crawler.Task(c => c.Stats()).Remote();
        await ray.KillAsync(crawler);
        return stats;
    }
}
