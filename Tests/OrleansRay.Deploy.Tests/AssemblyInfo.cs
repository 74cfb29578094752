// Two test classes at a time (2 cores): each runs node, kubectl or the CLI as short processes.
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
