using OrleansRay.Cluster.Tests.Fixtures;

// Two collections at a time (xunit's conservative algorithm starts a test only while fewer than two run). Each test runs
// its own nodes on its own ports and temp folders, or shares its collection's cluster, whose tests run one after another;
// so they do not meet. The suite mostly waits on processes starting and stopping, which two at a time overlap on 2
// cores. The longest chains go first (LongestFirstCollectionOrderer).
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
[assembly: Xunit.TestCollectionOrderer(LongestFirstCollectionOrderer.TypeName, LongestFirstCollectionOrderer.AssemblyName)]
