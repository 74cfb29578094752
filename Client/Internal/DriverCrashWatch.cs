using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansRay.Hosting;

namespace OrleansRay;

/// <summary>Ends a connected driver's job FAILED when its process crashes (an unhandled exception; Ray: the job failed),
/// even when the crash came after the driver was disposed.</summary>
/// <remarks>
/// <para>An exception that escapes <c>Main</c> through <c>await using var ray = ...</c> disposes the driver on its way
/// out, and disposing ends the job SUCCEEDED: nothing in <c>DisposeAsync</c> can tell that an exception is on its way.
/// The runtime then raises <see cref="AppDomain.UnhandledException"/> and aborts the process (exit code 134). Here that
/// event corrects the row: through the driver's own connection when it is still open, else through a short-lived
/// client of its own. A process that dies without any managed code running (kill -9, <c>Environment.FailFast</c>)
/// is marked failed by the job table once the driver stops reporting.</para>
/// <para>Only connected drivers that are not submitted jobs are watched: a submitted job's supervisor records its end
/// by exit code, and an embedded cluster's job table dies with its process.</para>
/// </remarks>
internal static class DriverCrashWatch
{
    /// <summary>How long the crash handler may hold the dying process to record the failure.</summary>
    private static readonly TimeSpan RecordDeadline = TimeSpan.FromSeconds(10);

    /// <summary>A disposed driver is watched this long: a crash comes right after the dispose it ran through.</summary>
    private static readonly TimeSpan WatchAfterDispose = TimeSpan.FromMinutes(1);

    private static readonly object Gate = new();
    private static readonly List<Watched> Jobs = new();
    private static int _installed;

    private sealed class Watched(RayDriver driver, string address, string? authToken)
    {
        /// <summary>The cluster's token (null: an insecure cluster), for the short-lived client of a disposed driver.</summary>
        public string? AuthToken { get; } = authToken;

        /// <summary>The live driver; null once disposed, so a disposed driver's runtime is not kept alive by the watch.</summary>
        public RayDriver? Driver { get; set; } = driver;

        public string JobId { get; } = driver.JobId;

        public string Address { get; } = address;

        /// <summary>Set when the driver was disposed (its connection is gone; its row says SUCCEEDED).</summary>
        public DateTime? DisposedAt { get; set; }
    }

    /// <summary>Watches <paramref name="driver"/>, connected to the cluster at <paramref name="address"/> with
    /// <paramref name="authToken"/> (null: without TLS).</summary>
    public static void Track(RayDriver driver, string address, string? authToken)
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
        {
            AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
        }

        lock (Gate)
        {
            Jobs.RemoveAll(static w => w.DisposedAt is { } at && DateTime.UtcNow - at > WatchAfterDispose);
            Jobs.Add(new Watched(driver, address, authToken));
        }
    }

    /// <summary>The driver was disposed: its job row is closed, its connection about to go.</summary>
    public static void Disposed(RayDriver driver)
    {
        lock (Gate)
        {
            foreach (var watched in Jobs.Where(w => ReferenceEquals(w.Driver, driver)))
            {
                watched.DisposedAt = DateTime.UtcNow;
                watched.Driver = null;
            }
        }
    }

    /// <summary>Stops watching <paramref name="driver"/>: it gave its cluster up, so no job row there can be reached (a
    /// crash then, likely its <see cref="ClusterLostException"/> escaping <c>Main</c>, is not held up trying).</summary>
    public static void Forget(RayDriver driver)
    {
        lock (Gate)
        {
            Jobs.RemoveAll(w => ReferenceEquals(w.Driver, driver));
        }
    }

    private static void OnUnhandledException(object sender, UnhandledExceptionEventArgs e)
    {
        List<Watched> jobs;
        lock (Gate)
        {
            jobs = Jobs.Where(static w => (w.DisposedAt is null || DateTime.UtcNow - w.DisposedAt.Value <= WatchAfterDispose) && w.Driver is not { Runtime.Node.IsLost: true }).ToList();
        }

        var message = e.ExceptionObject is Exception ex
            ? $"the driver process crashed: {ex.GetType().FullName}: {ex.Message}"
            : "the driver process crashed (an unhandled exception)";
        foreach (var watched in jobs)
        {
            try
            {
                // The process is going down: block it until the row is right (bounded).
                RecordFailedAsync(watched, message).Wait(RecordDeadline);
            }
            catch (Exception failure) when (failure is not OutOfMemoryException)
            {
                // Best effort: the job table marks a driver that stopped reporting as failed anyway.
            }
        }
    }

    private static async Task RecordFailedAsync(Watched watched, string message)
    {
        if (watched.Driver is { } driver)
        {
            await driver.Runtime.GrainFactory.GetGrain<Grains.IJobTableGrain>(0).EndAsync(watched.JobId, Grains.JobState.Failed, message).ConfigureAwait(false);
            return;
        }

        using var credentials = watched.AuthToken is { } token ? ObjectStore.Security.ClusterCredentials.FromToken(token) : null;
        using var host = BuildClient(watched.Address, credentials);
        await host.StartAsync().ConfigureAwait(false);
        try
        {
            var table = host.Services.GetRequiredService<IClusterClient>().GetGrain<Grains.IJobTableGrain>(0);
            var row = (await table.ListAsync().ConfigureAwait(false)).FirstOrDefault(j => j.JobId == watched.JobId);
            if (row is { State: Grains.JobState.Succeeded })
            {
                // EndAsync leaves an ended row alone; StartAsync replaces it, keeping its start time and entrypoint.
                await table.StartAsync(row with { State = Grains.JobState.Failed, Message = message }).ConfigureAwait(false);
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A bare Orleans client of the cluster at <paramref name="address"/> (no runtime: it only fixes a row).</summary>
    private static IHost BuildClient(string address, ObjectStore.Security.ClusterCredentials? credentials)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(ConnectedCluster.ParseEndpoint(address));
            if (credentials is not null)
            {
                client.UseClusterTls(credentials, new ClusterTls.HandshakeOutcome());
            }
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ConnectedCluster.ClusterId;
                o.ServiceId = ConnectedCluster.ClusterId;
            });
        });
        return builder.Build();
    }
}
