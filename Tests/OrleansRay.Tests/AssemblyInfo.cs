using Xunit;

// Embedded nodes are process-wide (Ray.Current names the most recent driver), so collections run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
