using Xunit;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>Tests that share one throwaway PostgreSQL server (each test makes its own database, or uses the one cluster
/// on it they share: <see cref="PostgresServer.SharedClusterAsync"/>).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
