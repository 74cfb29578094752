using OrleansRay.Cluster.Tests.Fixtures;

// Two collections at a time: in xunit 2.9's conservative algorithm MaxParallelThreads bounds the collections running at
// once (fixture setup included); a collection's own tests run one after another. Each test runs its own nodes on its
// own ports and temp folders, or shares its collection's cluster, so two collections do not meet. The suite mostly
// waits on processes starting and stopping, which two at a time overlap on 2 cores. Shared-fixture collections start
// first (LongestFirstCollectionOrderer).
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
[assembly: Xunit.TestCollectionOrderer(LongestFirstCollectionOrderer.TypeName, LongestFirstCollectionOrderer.AssemblyName)]
