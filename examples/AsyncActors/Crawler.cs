using OrleansRay;

namespace AsyncActors;

/// <summary>An async actor (Ray: a class with <c>async def</c> methods) that downloads pages and indexes them.</summary>
/// <remarks>
/// Its calls interleave at their awaits, so 8 downloads wait on the network at once, yet its state (the index, the
/// counters) needs no lock: code of one concurrency group never runs on two threads at once. Downloads are in the "io"
/// group and indexing in the "compute" group, each with its own limit (set at creation, see <see cref="Demo"/>), so a
/// slow network never holds up indexing and queries (the default group) are answered while both are busy.
/// </remarks>
[AsyncActor]
public sealed class Crawler
{
    private readonly Dictionary<string, int> _wordsPerPage = new();
    private int _downloading;
    private int _peakDownloading;
    private int _indexing;
    private int _peakIndexing;

    /// <summary>Downloads a page (here: waits as a network call would) and returns its text.</summary>
    [ConcurrencyGroup("io")]
    public async Task<string> DownloadAsync(string url)
    {
        _peakDownloading = Math.Max(_peakDownloading, Interlocked.Increment(ref _downloading));
        try
        {
            await Task.Delay(20 + (url.Length % 5) * 5); // the "network"
            return $"{url} says hello to everyone reading {url}";
        }
        finally
        {
            Interlocked.Decrement(ref _downloading);
        }
    }

    /// <summary>Counts a page's words into the index.</summary>
    [ConcurrencyGroup("compute")]
    public async Task<int> IndexAsync(string url, string text)
    {
        _peakIndexing = Math.Max(_peakIndexing, Interlocked.Increment(ref _indexing));
        try
        {
            await Task.Yield(); // a long computation would yield now and then
            var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            lock (_wordsPerPage) // "io" and "compute" may run at the same instant (each group has its own context)
            {
                _wordsPerPage[url] = words;
            }

            return words;
        }
        finally
        {
            Interlocked.Decrement(ref _indexing);
        }
    }

    /// <summary>What the crawler did (default group: answered while the other groups are busy).</summary>
    public CrawlStats Stats()
    {
        lock (_wordsPerPage)
        {
            return new CrawlStats(_wordsPerPage.Count, _wordsPerPage.Values.Sum(), _peakDownloading, _peakIndexing);
        }
    }
}

/// <summary>What a crawl did: pages indexed, words counted, and the most downloads and indexings that ran at once.</summary>
[GenerateSerializer]
public sealed record CrawlStats([property: Id(0)] int Pages, [property: Id(1)] int Words, [property: Id(2)] int PeakDownloads, [property: Id(3)] int PeakIndexing);
