// Data-parallel training (Ray Train): 2 workers learn y = 2x + 5, then a small MLP y = sin(πx), with SGD, averaging
// their gradients with an allreduce every step, reporting the loss each epoch (and checkpointing the linear model).
//   dotnet run --project examples/Train                 # an embedded node
//   dotnet run --project examples/Train -- auto         # a cluster started with `orleansray start --head`
using OrleansRay;
using OrleansRay.Train;
using TrainExample;

await using IRay ray = await Ray.InitAsync(args.Length > 0 ? new RayOptions { Address = args[0] } : new RayOptions { NumCpus = 2 });

var storage = Path.Combine(Path.GetTempPath(), "orleansray-train-example");
var outcome = await LinearRegression.RunAsync(ray, new LinearRegressionRun(NumWorkers: 2, Epochs: 3, StoragePath: storage));
foreach (var epoch in outcome.Result.MetricsHistory)
{
    Console.WriteLine($"epoch {epoch["epoch"]}: loss {epoch["loss"]:F6}");
}

Console.WriteLine($"learned y = {outcome.Weight:F3}x + {outcome.Bias:F3} (true: y = 2x + 5)");
Console.WriteLine($"checkpoint: {outcome.Result.Checkpoint?.Path}");

// A small MLP on y = sin(πx): the same trainer, a model of a few more parameters.
var mlp = await Mlp.RunAsync(ray, numWorkers: 2, storagePath: storage);
Console.WriteLine($"MLP loss by epoch: {string.Join(", ", mlp.MetricsHistory.Select(m => m["loss"].ToString("F5")))}");
