using OrleansRay.Cluster.Tests.Drivers;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Grains;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>The code package references are kept by the control store: with <c>--storage</c> on PostgreSQL a restarted
/// head still knows which job referenced which package and its files, so it collects them later instead of keeping
/// them for good.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CodePackageReferencesPostgresTests
{
    private readonly PostgresServer _server;

    public CodePackageReferencesPostgresTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task On_PostgreSQL_a_jobs_package_reference_survives_a_head_restart()
    {
        var options = new LocalClusterOptions { Workers = 0, Storage = await _server.CreateDatabaseAsync("coderefs") };
        CodePackageReferences before;
        await using (var first = await LocalCluster.StartAsync(options))
        {
            // An environment variable makes a package of its own (a manifest at least), whatever assemblies the test host ships.
            var env = new RuntimeEnv();
            env.EnvVars["ORLEANSRAY_TEST_REFS"] = Guid.NewGuid().ToString("N");
            await using var ray = await Ray.InitAsync(new RayOptions { Address = first.Address, AuthToken = first.AuthToken, RuntimeEnv = env });
            before = Assert.Single(await ray.GrainFactory.GetGrain<ICodePackageReferencesGrain>(0).ListAsync());
        }

        // A new head on the same database.
        await using var second = await LocalCluster.StartAsync(options);
        await using var again = await Driver.ConnectAsync(second);
        var after = Assert.Single(await again.GrainFactory.GetGrain<ICodePackageReferencesGrain>(0).ListAsync(), r => r.PackageId == before.PackageId);
        Assert.Equal(before.Drivers, after.Drivers);
        Assert.Equal(before.Files, after.Files);
        Assert.True(await again.GrainFactory.GetGrain<ICodeBlobGrain>(before.PackageId).HasAsync(), "the package's manifest is gone after the restart");
    }
}
