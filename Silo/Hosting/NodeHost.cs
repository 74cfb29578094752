using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Serialization;
using OrleansRay.Transport;
using OrleansRay.Hosting;
using OrleansRay.Silo.Autoscaling;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Dashboard;
using OrleansRay.Node;

namespace OrleansRay.Silo.Hosting;

/// <summary>Runs one node in this process: an Orleans silo with the OrleansRay runtime, until SIGTERM/Ctrl+C.</summary>
/// <remarks>Once the silo is up it writes its pid file (the "ready" signal <c>orleansray start</c> waits for) and, on
/// the head, the address file; it removes its pid file when it stops.</remarks>
internal static partial class NodeHost
{
    /// <summary>How long after a node's start the Orleans watchdog's warnings are dropped (its first one is bogus).</summary>
    private static readonly TimeSpan WatchdogQuietStart = TimeSpan.FromSeconds(30);

    /// <summary>Builds the node's host without starting it.</summary>
    /// <param name="settings">The node's settings.</param>
    /// <param name="primaryNode">Without --storage: the head's node endpoint a worker joins through (null on the head).</param>
    /// <param name="store">The node's object store process, started already: the runtime keeps its large values there.</param>
    public static IHost Build(NodeSettings settings, IPEndPoint? primaryNode, NodeObjectStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(settings);
        // Application code (--load) is in the default load context before anything else runs: the function registry
        // finds it there, and the serializer below is told about its [GenerateSerializer] types.
        var userAssemblies = UserAssemblies.Load(settings.Load);

        // The head also serves the dashboard, so its host is an ASP.NET Core WebApplication (Kestrel in the same process);
        // workers serve nothing over HTTP and keep the plain generic host.
        // A worker with --health-port serves only GET /healthz from such a host.
        WebApplicationBuilder? web = null;
        IHostApplicationBuilder builder;
        if (settings.Dashboard is not null || settings.HealthPort is not null)
        {
            web = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, Args = [] });
            var urls = new List<string>();
            if (settings.DashboardUrl is { } dashboardUrl)
            {
                urls.Add(dashboardUrl);
            }

            if (settings.HealthPort is { } healthPort)
            {
                urls.Add(string.Create(CultureInfo.InvariantCulture, $"http://0.0.0.0:{healthPort}"));
            }

            web.WebHost.UseUrls([.. urls]);
            builder = web;
        }
        else
        {
            builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        // Orleans is chatty at Information (every stage of start and stop); its warnings and errors are what a log reader needs.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        // Filter categories match by prefix, so the rule above also caught "OrleansRay.*": our own lines stay at Information.
        builder.Logging.AddFilter("OrleansRay", LogLevel.Information);
        // Kestrel and routing log every request at Information.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Polly (Orleans' placement retries) logs every attempt at Information.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // A peer refused by TLS (no or another token) is logged once by ClusterTls ("Refused a client connection from ...:
        // ... no or another auth token"); Orleans' TLS middleware would log it first as a warning with the handshake's
        // whole stack trace.
        builder.Logging.AddFilter("Orleans.Connections.Security.TlsServerConnectionMiddleware", LogLevel.Error);
        // Orleans 10.4.2's watchdog warns at its first check that its participant check "has not completed for" the
        // machine's uptime (it measures from a timestamp of 0). Its warnings in the node's first WatchdogQuietStart are
        // dropped; later ones (a real stall of the runtime) are kept.
        var started = System.Diagnostics.Stopwatch.StartNew();
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", level => level >= LogLevel.Error || (level >= LogLevel.Warning && started.Elapsed > WatchdogQuietStart));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        // The node's object store process started before this host and stops after it (RunAsync).
        builder.Services.AddSingleton(store);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = NodeSettings.ClusterId;
                o.ServiceId = NodeSettings.ClusterId;
            });
            // Says where the cluster keeps its membership, so `start --address` without a connection string can refuse
            // a PostgreSQL cluster at once (a worker without it would wait for a membership the head does not serve).
            silo.Configure<SiloOptions>(o => o.SiloName = NodeSettings.SiloNameOf(settings.Storage is not null, settings.Port));
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = settings.NodeIpAddress;
                o.SiloPort = settings.NodePort;
                o.GatewayPort = settings.Port;
                // A node on loopback (the default) listens there only. One with a real address (a container, a pod, a
                // machine of a cluster) listens on every interface and advertises that address, so a forwarded port
                // (`kubectl port-forward`, which connects to the pod's loopback) reaches it too; TLS guards both.
                // With --insecure there is no TLS: then a node listens only where it was told to.
                var listen = IPAddress.IsLoopback(settings.NodeIpAddress) || settings.Credentials is null ? settings.NodeIpAddress : IPAddress.Any;
                o.SiloListeningEndpoint = new IPEndPoint(listen, settings.NodePort);
                o.GatewayListeningEndpoint = new IPEndPoint(listen, settings.Port);
            });
            if (settings.Credentials is { } credentials)
            {
                // TLS 1.3 on every node and gateway connection, both ends proving they hold the token.
                silo.UseClusterTls(credentials);
            }

            // A node killed without leaving is declared dead within seconds (the probe settings are justified there).
            silo.Configure<ClusterMembershipOptions>(MembershipTuning.Apply);
            if (settings.Storage is null)
            {
                // The embedded default: the head is the membership primary (workers join through it), state lives in
                // memory (UseOrleansRay keeps the control store's rows in the head's memory).
                silo.UseDevelopmentClustering(primaryNode ?? new IPEndPoint(settings.NodeIpAddress, settings.NodePort));
            }
            else
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = PostgresInvariant;
                    o.ConnectionString = settings.Storage;
                });
                silo.AddAdoNetGrainStorageAsDefault(o =>
                {
                    o.Invariant = PostgresInvariant;
                    o.ConnectionString = settings.Storage;
                });
            }

            if (userAssemblies.Count > 0)
            {
                silo.Services.AddSerializer(serializer =>
                {
                    foreach (var assembly in userAssemblies)
                    {
                        serializer.AddAssembly(assembly);
                    }
                });
            }

            silo.UseOrleansRay(node =>
            {
                settings.ApplyTo(node);
                // The store runs as its own process (NodeObjectStore), not inside the node; the runtime connects to it.
                node.ObjectStoreInProcess = false;
                node.Credentials = settings.Credentials;
                node.TaskChannelPort = settings.TaskChannelPort ?? 0;
                node.StartedAsHead = settings.IsHead;
                node.ExternalObjectStore = store.Process is { } process
                    ? (process.SocketPath, process.TransferEndPoint?.ToString() ?? string.Empty)
                    : null;
                // Ray's session_*/runtime_resources/working_dir_files, by port as the node's log is: each node's own
                // (should nodes share a session), removed with the session too.
                node.WorkingDirsDirectory = settings.Session.Length > 0
                    ? Path.Combine(settings.Session, "runtime_resources", "working_dirs", string.Create(CultureInfo.InvariantCulture, $"node-{settings.Port}"))
                    : null;
            });
            silo.Services.TryAddSingleton(TimeProvider.System);
            silo.Services.AddSingleton<RayInstruments>();
            silo.Services.AddSingleton(sp => sp.GetRequiredService<NodeRuntime>().Events);
            if (settings.Dashboard is not null)
            {
                silo.AddDashboard();
            }

            if (!settings.IsHead && settings.Storage is null)
            {
                // The head holds the membership: a worker that lost it exits (HeadWatch says why) instead of probing forever.
                silo.Services.AddHostedService(sp => new HeadWatch(
                    sp.GetRequiredService<NodeRuntime>(),
                    sp.GetRequiredService<IHostApplicationLifetime>(),
                    sp.GetRequiredService<ILogger<HeadWatch>>(),
                    settings.HeadAddress ?? primaryNode?.ToString() ?? "(unknown)"));
            }

            if (settings.IsHead && settings.AutoscalingConfig is { } autoscaling)
            {
                // `start --head --autoscaling-config FILE` (what `orleansray up` runs): the autoscaler loop on the head.
                silo.Services.AddHostedService(sp => AutoscalerLoop.Create(settings, autoscaling, sp));
            }

            silo.Services.AddSingleton<NodeStatusReporter>();
            silo.Services.AddSingleton<ILifecycleParticipant<Orleans.Runtime.ISiloLifecycle>>(sp => sp.GetRequiredService<NodeStatusReporter>());
        });

        if (web is null)
        {
            var host = ((HostApplicationBuilder)builder).Build();
            AnswerForStore(host.Services);
            return host;
        }

        if (settings.Dashboard is null)
        {
            // A worker's health endpoint, nothing else.
            var worker = web.Build();
            AnswerForStore(worker.Services);
            worker.MapHealth();
            return worker;
        }

        web.Services.AddDashboardSecurity(settings.Credentials, settings.MetricsOpen);
        web.Services.AddSingleton<ClusterDetails>();
        web.Services.AddSingleton<DashboardApi>();
        // The head runs jobs submitted over HTTP (`orleansray job submit --address http://HEAD:8265`): JobEndpoints.
        web.Services.AddSingleton(sp => new JobSubmissions(CliPaths.Current, settings.Address, settings.Session, JobSubmissions.MaxUploadFromEnvironment(), sp.GetRequiredService<IGrainFactory>(), settings.Credentials));
        web.Services.AddSingleton<NodeInstruments>(sp => new NodeInstruments(sp.GetRequiredService<NodeRuntime>(), sp.GetRequiredService<NodeObjectStore>().StatsAsync));
        web.Services.AddOrleansRayMetrics();
        var app = web.Build();
        AnswerForStore(app.Services);
        // Observable instruments exist once created: create them with the host, not at the first scrape.
        app.Services.GetRequiredService<RayInstruments>();
        app.Services.GetRequiredService<NodeInstruments>();
        if (settings.HealthPort is { } health)
        {
            // The health port listens on every interface for probes: it answers /healthz and nothing else, so the
            // dashboard and the job API stay where --dashboard-host put them.
            app.Use((http, next) => http.Connection.LocalPort == health && !http.Request.Path.Equals("/healthz", StringComparison.OrdinalIgnoreCase)
                ? Results.NotFound().ExecuteAsync(http)
                : next(http));
        }

        app.UseDashboardSecurity();
        app.MapHealth();
        app.MapOrleansRayDashboard();
        app.MapPrometheusScrapingEndpoint();
        return app;
    }

    /// <summary>The node's runtime does not own its store (a separate process): it reports that process' figures, so
    /// every node answers for its own store when the dashboard asks (<c>INodeEndpoint.GetDetailsAsync</c>).</summary>
    private static void AnswerForStore(IServiceProvider services)
    {
        var store = services.GetRequiredService<NodeObjectStore>();
        services.GetRequiredService<NodeRuntime>().StoreFiguresProvider = store.FiguresAsync;
    }

    /// <summary>The ADO.NET invariant name of Npgsql.</summary>
    public const string PostgresInvariant = "Npgsql";

    /// <summary>Starts the node, announces it (pid file, address file on the head), runs until shut down.</summary>
    public static async Task<int> RunAsync(NodeSettings settings, IPEndPoint? primaryNode, CliPaths paths, CancellationToken cancellationToken)
    {
        // A background node's output is its log file: rotated by size from here (before anything wraps the console).
        using var rotation = NodeLogRotation.Start(settings.LogRotation);
        // The node owns this process's console (its log file): what connected drivers' tasks print here also goes to
        // those drivers (log_to_driver). Processes that host a node in-process (Ray.InitAsync, UseOrleansRay) keep theirs.
        TaskOutputCapture.Install();
        await using var store = await NodeObjectStore.StartAsync(settings, cancellationToken).ConfigureAwait(false);
        using var host = Build(settings, primaryNode, store);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansRay.Node");
        var pidFile = paths.PidFile(settings.Port);
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStartFailed(logger, ex);
            throw new CliException($"the node did not start: {ex.GetBaseException().Message}", CliException.FailureExitCode, ex);
        }

        try
        {
            using var self = Process.GetCurrentProcess();
            var record = new NodeRecord(Environment.ProcessId, self.StartTime.ToUniversalTime(), settings.Address, settings.NodePort, settings.IsHead, settings.Session, settings.LogFile, settings.DashboardUrl);
            CliPaths.WriteAtomically(pidFile, record.ToJson());
            if (settings.IsHead)
            {
                // The token first: a driver that finds the address finds the token too.
                if (settings.Credentials is { } credentials)
                {
                    CliPaths.WriteSecret(Path.Combine(settings.Session, "auth_token"), credentials.Token + "\n");
                    CliPaths.WriteSecret(paths.TokenFile, credentials.Token + "\n");
                }
                else
                {
                    // A token left by an earlier cluster would send this machine's drivers to TLS that no node speaks.
                    File.Delete(paths.TokenFile);
                }

                CliPaths.WriteAtomically(paths.AddressFile, settings.Address + "\n");
            }

            LogNodeStarted(logger, settings.Address, settings.NodePort, settings.IsHead, settings.Storage is null ? "memory" : "postgresql");
            if (settings.Load.Count > 0)
            {
                LogAssembliesLoaded(logger, string.Join(", ", settings.Load));
            }

            if (settings.DashboardUrl is { } url)
            {
                LogDashboard(logger, url);
            }

            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            LogNodeStopped(logger, settings.Address);
            if (HeadWatch.HeadLost)
            {
                await Console.Error.WriteLineAsync($"error: this worker lost the head at {settings.HeadAddress} and exited; start it again with `orleansray start --address {settings.HeadAddress}` once the head is up.").ConfigureAwait(false);
                return CliException.FailureExitCode;
            }

            return 0;
        }
        finally
        {
            if (NodeRecord.TryRead(pidFile)?.Pid == Environment.ProcessId)
            {
                File.Delete(pidFile);
            }
        }
    }
}
