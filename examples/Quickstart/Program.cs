// The seed's programs on an embedded single-node cluster:
//   dotnet run --project examples/Quickstart
using OrleansRay;
using Quickstart;

await using IRay ray = await Ray.InitAsync();

// A remote function: f(2) == 4.
ObjectRef<int> objectRef = ray.Task(Programs.F, 2).Remote();
Console.WriteLine($"f(2) = {await ray.GetAsync(objectRef)}");

// An actor: Counter.increment() returns 1.
ActorHandle<Counter> counter = ray.Actor(() => new Counter()).Remote();
ObjectRef<int> incremented = counter.Task(c => c.Increment()).Remote();
Console.WriteLine($"counter.increment() = {await incremented}");

// Refs passed straight on: multiply waits for both zeros before it runs.
ObjectRef<double[,]> x = ray.Task(Programs.Zeros, 10, 10).Remote();
ObjectRef<double[,]> y = ray.Task(Programs.Zeros, 10, 10).Remote();
ObjectRef<double[,]> z = ray.Task(Programs.Multiply, x, y).Remote();
double[,] product = await z;
Console.WriteLine($"multiply(zeros((10, 10)), zeros((10, 10))) = {product.GetLength(0)}x{product.GetLength(1)} matrix:");
for (var i = 0; i < product.GetLength(0); i++)
{
    Console.WriteLine(string.Join(" ", Enumerable.Range(0, product.GetLength(1)).Select(j => product[i, j].ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))));
}
