using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansRay.Cluster.Tests.Fixtures;
using OrleansRay.Cluster.Tests.Grains;
using OrleansRay.Silo.Storage.Postgres;
using Xunit;

using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests;

/// <summary>Orleans' own ADO.NET clustering and grain storage against OrleansRay's schema, in an in-process silo.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AdoNetProvidersTests
{
    private readonly PostgresServer _server;

    public AdoNetProvidersTests(PostgresServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task A_silo_joins_through_the_membership_table_and_grain_state_survives_a_restart()
    {
        var connectionString = await _server.CreateDatabaseAsync("providers");
        await PostgresSchema.MigrateAsync(connectionString);
        var (siloPort, gatewayPort) = (TestPorts.Free(), TestPorts.Free());

        using (var first = await StartSiloAsync(connectionString, siloPort, gatewayPort))
        {
            var counter = first.Services.GetRequiredService<IGrainFactory>().GetGrain<ICounterGrain>("survivor");
            Assert.Equal(1, await counter.IncrementAsync());
            Assert.Equal(2, await counter.IncrementAsync());
            await first.StopAsync();
        }

        using var second = await StartSiloAsync(connectionString, siloPort, gatewayPort);
        var again = second.Services.GetRequiredService<IGrainFactory>().GetGrain<ICounterGrain>("survivor");
        Assert.Equal(2, await again.GetAsync());
        Assert.Equal(3, await again.IncrementAsync());
        await again.ClearAsync();
        Assert.Equal(0, await again.GetAsync());

        var hosts = await second.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        Assert.Contains(hosts, h => h.Status == SiloStatus.Active && h.SiloAddress.Endpoint.Port == siloPort);
        Assert.Contains(hosts, h => h.Status == SiloStatus.Dead);
        await second.StopAsync();
    }

    private static async Task<IHost> StartSiloAsync(string connectionString, int siloPort, int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "adonet-test";
                o.ServiceId = "adonet-test";
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage("counter", o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
