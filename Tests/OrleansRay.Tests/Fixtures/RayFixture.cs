using Xunit;

namespace OrleansRay.Tests.Fixtures;

/// <summary>One embedded node shared by the tests of the "ray" collection: 4 CPUs and 2 "accel".</summary>
public sealed class RayFixture : IAsyncLifetime
{
    public IRay Ray { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Ray = await OrleansRay.Ray.InitAsync(new RayOptions { NumCpus = 4, Resources = { ["accel"] = 2 }, Namespace = "tests" });
    }

    public async Task DisposeAsync() => await Ray.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class RayCollection : ICollectionFixture<RayFixture>
{
    public const string Name = "ray";
}
