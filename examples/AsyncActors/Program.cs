// Async actors and concurrency groups (Ray's async actors, concurrency_groups):
//   dotnet run --project examples/AsyncActors
using AsyncActors;
using OrleansRay;

await using IRay ray = await Ray.InitAsync();

CrawlStats stats = await Demo.RunAsync(ray);
Console.WriteLine($"indexed {stats.Pages} pages, {stats.Words} words");
Console.WriteLine($"at most {stats.PeakDownloads} downloads at once (io limit {Demo.Downloads}), " +
                  $"{stats.PeakIndexing} indexings at once (compute limit {Demo.Indexings})");
