using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>Starts the shared-fixture collections (<see cref="ClusterCollection"/>, <see cref="PostgresCollection"/>,
/// <see cref="TrainClusterCollection"/>) before the one-class collections, which follow in the order xunit discovered
/// them.</summary>
/// <remarks>The assembly runs two collections at a time (<c>AssemblyInfo.cs</c>) and a collection's tests one after
/// another. The Cluster and PostgreSQL collections are the longest chains (~4.5 and ~3.5 minutes on 2 cores): started
/// late, as xunit's default order (a hash of each collection's id) may start them, the run ends with one slot idle behind
/// them. Longest first is the classic rule for scheduling jobs on a few machines. Measured on a quiet machine it did not
/// change the project's time (10 min 30 s before, 10 min 36 s after: both cores are busy throughout either way); it
/// keeps the run's end from depending on where the hash puts the long chains.</remarks>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    /// <summary>The assembly-qualified name xunit loads this orderer by (<c>TestCollectionOrderer</c> in AssemblyInfo.cs).</summary>
    public const string TypeName = "OrleansRay.Cluster.Tests.Fixtures.LongestFirstCollectionOrderer";

    /// <summary>The assembly of <see cref="TypeName"/>.</summary>
    public const string AssemblyName = "OrleansRay.Cluster.Tests";

    private static readonly string[] Shared = [ClusterCollection.Name, PostgresCollection.Name, TrainClusterCollection.Name];

    /// <inheritdoc/>
    /// <remarks>OrderBy is a stable sort: collections of the same rank keep xunit's order.</remarks>
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Array.IndexOf(Shared, c.DisplayName) is var rank and >= 0 ? rank : Shared.Length);
}
