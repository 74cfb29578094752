// Multiple returns (Ray's num_returns): one task splits a data set into a training part, a test part and its mean;
// each part is an object of its own that later tasks read (and that is freed) independently.
//   dotnet run --project examples/MultipleReturns
using MultipleReturns;
using OrleansRay;

await using IRay ray = await Ray.InitAsync();
var report = await TrainTestSplit.RunAsync(ray, samples: 100_000);
Console.WriteLine($"{report.TrainCount} training samples (mean {report.TrainMean:F3}), {report.TestCount} test samples");
Console.WriteLine($"model {report.Model:F3}, test error {report.TestError:F4}");
