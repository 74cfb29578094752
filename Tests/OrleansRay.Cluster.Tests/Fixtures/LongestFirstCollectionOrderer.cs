using Xunit;
using Xunit.Abstractions;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>Starts the shared-fixture collections (<see cref="ClusterCollection"/>, <see cref="PostgresCollection"/>,
/// <see cref="TrainClusterCollection"/>) before the one-class collections, the rest in xunit's own order.</summary>
/// <remarks>The assembly runs two collections at a time (<c>AssemblyInfo.cs</c>), and a collection's tests run one
/// after another: the two shared ones are the suite's longest chains (~4.5 and ~3.5 minutes on a 2-core machine), so
/// when they start last the run ends with one slot idle behind them; started first, the one-class collections fill the
/// other slot meanwhile (longest first is the classic rule for scheduling jobs on a few machines).</remarks>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    /// <summary>The assembly-qualified name xunit loads this orderer by (<c>TestCollectionOrderer</c> in AssemblyInfo.cs).</summary>
    public const string TypeName = "OrleansRay.Cluster.Tests.Fixtures.LongestFirstCollectionOrderer";

    /// <summary>The assembly of <see cref="TypeName"/>.</summary>
    public const string AssemblyName = "OrleansRay.Cluster.Tests";

    private static readonly string[] Shared = [ClusterCollection.Name, PostgresCollection.Name, TrainClusterCollection.Name];

    /// <inheritdoc/>
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        var collections = testCollections.ToList();
        return collections
            .OrderBy(c => Array.IndexOf(Shared, c.DisplayName) is var rank and >= 0 ? rank : Shared.Length)
            .ThenBy(collections.IndexOf);
    }
}
