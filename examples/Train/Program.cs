// Data-parallel training (Ray Train): 2 workers learn y = 2x + 5 with SGD, averaging their gradients with an allreduce
// every step, reporting the loss each epoch and checkpointing the model.
//   dotnet run --project examples/Train                 # an embedded node
//   dotnet run --project examples/Train -- auto         # a cluster started with `orleansray start --head`
using OrleansRay;
using OrleansRay.Train;
using TrainExample;

await using IRay ray = await Ray.InitAsync(args.Length > 0 ? new RayOptions { Address = args[0] } : new RayOptions { NumCpus = 2 });

var outcome = await LinearRegression.RunAsync(ray, new LinearRegressionRun(NumWorkers: 2, Epochs: 3, StoragePath: Path.Combine(Path.GetTempPath(), "orleansray-train-example")));
foreach (var epoch in outcome.Result.MetricsHistory)
{
    Console.WriteLine($"epoch {epoch["epoch"]}: loss {epoch["loss"]:F6}");
}

Console.WriteLine($"learned y = {outcome.Weight:F3}x + {outcome.Bias:F3} (true: y = 2x + 5)");
Console.WriteLine($"checkpoint: {outcome.Result.Checkpoint?.Path}");
