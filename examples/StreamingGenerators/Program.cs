// A streaming generator on an embedded single-node cluster:
//   dotnet run --project examples/StreamingGenerators
using OrleansRay;
using StreamingGenerators;

await using IRay ray = await Ray.InitAsync();
var summary = await PrimeScan.RunAsync(ray, log: Console.Out);
Console.WriteLine($"{summary.Primes} primes below 100,000 in {summary.Blocks} blocks; the largest is {summary.Largest}.");
