// OrleansRay benchmark harness: dotnet run -c Release --project bench -- [names or groups...] [--json] [--list] [--quick] [--help]
return await OrleansRay.Bench.Harness.Harness.RunAsync(args);
