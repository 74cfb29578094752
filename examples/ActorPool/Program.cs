// An actor pool and a distributed queue on an embedded single-node cluster:
//   dotnet run --project examples/ActorPool
// Four sentiment-model actors score a batch of reviews through an ActorPool (results in input order), then two
// worker tasks take a stream of reviews from a bounded RayQueue and flag the negative ones.
using ActorPoolExample;
using OrleansRay;

await using IRay ray = await Ray.InitAsync(new RayOptions { NumCpus = 4 });
await ReviewScoring.RunAsync(ray, Console.Out);
