// Ray's state API from a driver: run some work, some of it failing, then list, summarize and read memory.
//   dotnet run --project examples/StateApi
// This tour runs on its own embedded node. For a cluster, the command line shows the same data:
//   orleansray list tasks --filter state=FAILED --format json
//   orleansray summary tasks
//   orleansray memory
//   orleansray timeline
using OrleansRay;
using StateApi;

await using IRay ray = await Ray.InitAsync(new RayOptions { NumCpus = 2 });
var tour = await StateTour.RunAsync(ray, Console.Out);
Console.WriteLine($"{tour.Failed} failed task(s) listed, {tour.Finished} finished, {tour.Objects} of the squares' results in the memory listing, {tour.TimelineSquares} on the timeline ({tour.TimelineFile}: open it at chrome://tracing)");
