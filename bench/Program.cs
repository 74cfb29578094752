// OrleansRay benchmark harness: dotnet run -c Release --project bench -- [names...] [--json] [--list] [--quick]
return await OrleansRay.Bench.Harness.Harness.RunAsync(args);
