using OrleansRay.Silo.Cli;

return await OrleansRayCli.RunAsync(args).ConfigureAwait(false);
