using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansRay.Transport;
using OrleansRay.Node;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Ownership;

namespace OrleansRay.Hosting;

/// <summary>A driver connected to a running cluster (<c>RayOptions.Address</c>): an Orleans client through one node's
/// gateway, and a runtime of its own that owns the driver's objects and places its tasks on the cluster's nodes but
/// runs nothing itself (Ray's driver: an owner, not a worker).</summary>
internal sealed class ConnectedCluster : IAsyncDisposable
{
    /// <summary>The cluster id and service id every OrleansRay node uses (the CLI's).</summary>
    public const string ClusterId = "orleansray";

    /// <summary>Environment variable naming the cluster for <c>Address = "auto"</c> (like RAY_ADDRESS).</summary>
    public const string AddressVariable = "ORLEANSRAY_ADDRESS";

    /// <summary>Environment variable that makes drivers and the CLI's client verbs connect without TLS or a token, as
    /// <see cref="RayOptions.Insecure"/> and <c>--insecure</c> do: <c>true</c>/<c>1</c> or <c>false</c>/<c>0</c>. An
    /// explicit option (Insecure, AuthToken, --insecure, --auth-token) wins over it.</summary>
    public const string InsecureVariable = "ORLEANSRAY_INSECURE";

    /// <summary>The log category of the generic host's own messages ("Hosting failed to start").</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>The log category of Orleans' client-side TLS handshake ("Authentication timed out").</summary>
    private const string TlsClientCategory = "Orleans.Connections.Security.TlsClientConnectionMiddleware";

    /// <summary>How long connecting may take before it fails with a message: a local connect takes ~0.5 s.</summary>
    public static readonly TimeSpan ConnectDeadline = TimeSpan.FromSeconds(20);

    private readonly IHost _host;
    private readonly ObjectStore.ObjectStoreClient? _store;
    private readonly ClusterCredentials? _credentials;
    private readonly ClusterLossWatch _lossWatch;

    private ConnectedCluster(IHost host, NodeRuntime runtime, string address, ObjectStore.ObjectStoreClient? store, JobCodeUpload.Result code, ClusterCredentials? credentials, ClusterLossWatch lossWatch)
    {
        _credentials = credentials;
        _lossWatch = lossWatch;
        _host = host;
        _store = store;
        Runtime = runtime;
        Address = address;
        Code = code;
    }

    /// <summary>The job code this driver shipped (empty package id when none).</summary>
    public JobCodeUpload.Result Code { get; }

    public NodeRuntime Runtime { get; }

    /// <summary>The token this driver connected with; null for an insecure cluster.</summary>
    public string? AuthToken => _credentials?.Token;

    public string Address { get; }

    public static async Task<ConnectedCluster> ConnectAsync(RayOptions options, CancellationToken cancellationToken)
    {
        // The working dir is listed and hashed first: a folder too large or a file that cannot be read fails here, named,
        // before anything reaches the cluster.
        var workingDir = options.JobWorkingDir() is { } folder ? WorkingDirUpload.Scan(folder, options.RuntimeEnv.MaxWorkingDirBytes) : null;
        var address = ResolveAddress(options.Address!);
        var endpoint = ParseEndpoint(address);
        var (credentials, tokenSource) = ResolveCredentials(options);
        var handshake = new ClusterTls.HandshakeOutcome();
        var probe = await ClusterTls.ProbeAsync(endpoint, credentials, cancellationToken).ConfigureAwait(false);
        if (probe == ClusterTls.ProbeResult.Nothing)
        {
            credentials?.Dispose();
            throw new RayException($"No OrleansRay cluster answers at {address}: nothing accepted a connection there. Start one with `orleansray start --head`, or check the address (`orleansray status` prints it).");
        }

        if (TlsProblem(probe, address, credentials is null, tokenSource) is { } problem)
        {
            credentials?.Dispose();
            throw new RayException($"Cannot connect to the OrleansRay cluster at {address}: {problem}.");
        }

        var jobAssemblies = options.RuntimeEnv.ShipCode ? JobCodeUpload.JobAssemblies(options.RuntimeEnv) : [];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        if (options.LogTo is { } logTo)
        {
            builder.Logging.AddProvider(logTo);
        }

        // A node that dies makes Orleans' connection and gateway code warn, with stacks, on every retry; the runtime says
        // what it means for the driver's work in one line of its own. Below Warning (RayOptions.LogLevel) they show. A
        // call to a killed driver (the owner of an object read here) warns when Orleans' response timeout ends it, long
        // after the read failed saying the owner died (CallbackData); the caller of any call that times out gets a
        // TimeoutException all the same. A cluster that stopped answering makes the client's manifest refresh warn, with
        // a stack, every few seconds (ClientClusterManifestProvider): the driver's cluster view says so once, its return
        // once, and giving the cluster up once (ClusterLossWatch).
        foreach (var category in new[] { "Orleans.Runtime.Messaging", "Orleans.Messaging", "Orleans.Networking", "Orleans.Runtime.CallbackData", "Orleans.Runtime.ClientClusterManifestProvider" })
        {
            builder.Logging.AddFilter(category, options.LogLevel < LogLevel.Warning ? options.LogLevel : LogLevel.Error);
        }

        // The start cancelled below, when the address is a node's silo port, makes the host log "Hosting failed to start"
        // with the cancellation's stack, and the TLS handshake it aborts "Authentication timed out", before the one-line
        // RayException that says what to give instead: quiet then. Otherwise these categories log from the driver's
        // level up, as every other (a rule with a filter replaces the minimum level for its category).
        var startCancelled = 0;
        var minimum = options.LogLevel;
        foreach (var category in new[] { HostCategory, TlsClientCategory })
        {
            builder.Logging.AddFilter(category, level => level >= minimum && Volatile.Read(ref startCancelled) == 0);
        }

        // Ctrl+C and SIGTERM end the driver's process, not just this client (DriverHostLifetime).
        builder.Services.AddSingleton<IHostLifetime, DriverHostLifetime>();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoint);
            if (credentials is not null)
            {
                client.UseClusterTls(credentials, handshake);
            }
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ClusterId;
            });
            client.Services.Configure<Orleans.Serialization.Configuration.TypeManifestOptions>(o => o.EnableConfigurationAnalysis = true);
            UserExceptionSerialization.Add(client.Services);
            CachedGrainInterfaceTypes.AddFirst(client.Services);
            // Calls to actors behind grain interfaces carry their order stamp.
            client.Services.AddSingleton<IActorCallRouter>(sp => new Actors.ActorCallStamper(sp, watchNodeDeaths: true));
            // The job's own types may appear in its values by name alone (an actor handle names its actor's class), as
            // the nodes' job serializers allow them too.
            var jobNames = jobAssemblies.Select(a => a.GetName().Name!).ToArray();
            client.Services.Configure<Orleans.Serialization.Configuration.TypeManifestOptions>(o => o.AllowedAssemblies.UnionWith(jobNames));
        });
        builder.Services.AddSingleton(new NodeRuntimeOptions
        {
            Resources = ResourceSet.Empty,
            ClusterName = NodeRuntimeOptionsFactory.ClusterName(ClusterId, ClusterId),
            CanExecute = false,
            Namespace = options.Namespace,
            Credentials = credentials,
            MinWorkerThreads = 1,
            MaxWorkerThreads = 4,
            InlineThreshold = options.InlineThreshold,
            DriverWorkingDirectory = workingDir?.Path,
            // A driver that ships no code has no package to carry its variables: its work carries them instead.
            DriverEnvVars = options.RuntimeEnv.ShipCode ? null : options.RuntimeEnv.CopyEnvVars(),
        });
        builder.Services.AddSingleton<ValueCopier>();
        builder.Services.AddSingleton<ObjectRefSerializationHooks>();
        builder.Services.AddSingleton(sp => new NodeRuntime(
            sp.GetRequiredService<NodeRuntimeOptions>(),
            ApplicationGrainFactory.Create(sp, sp.GetRequiredService<IClusterClient>()),
            sp.GetRequiredService<ValueCopier>(),
            new LocalOwners(),
            sp.GetRequiredService<ILogger<NodeRuntime>>()));
        var host = builder.Build();

        // Beside the client's start: a node's silo port given for the gateway (its --node-port for the head's --port) is
        // told at once, before Orleans' client has retried (and warned) its way to the connect deadline.
        using var stopStart = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopCheck = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var nodePort = NodePortCheck.SpeaksFirstAsync(endpoint, credentials, stopCheck.Token);
        var start = host.StartAsync(stopStart.Token).WaitAsync(ConnectDeadline, cancellationToken);
        if (await Task.WhenAny(start, nodePort).ConfigureAwait(false) == nodePort && await nodePort.ConfigureAwait(false))
        {
            Volatile.Write(ref startCancelled, 1);
            await stopStart.CancelAsync().ConfigureAwait(false);
            try
            {
                await start.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The start this driver cancelled (or that failed on its own meanwhile): nothing connected.
            }

            host.Dispose();
            credentials?.Dispose();
            throw new RayException(NodePortCheck.NotAGateway(address));
        }

        try
        {
            await start.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            credentials?.Dispose();
            if (credentials is not null && handshake.Explain(address, tokenSource) is { } why)
            {
                throw new RayException($"Cannot connect to the OrleansRay cluster at {address}: {why}.", ex);
            }

            throw new RayException(
                $"No OrleansRay cluster answers at {address} ({ex.GetBaseException().Message.TrimEnd('.')}). Start one with `orleansray start --head`, or check the address: it is the head's client (gateway) port, its --port (default 30000; `orleansray status` prints it), not a node's --node-port nor the dashboard's URL. A silo an application hosts with UseOrleansRay takes drivers only when its ServiceId and ClusterId are both \"{ClusterId}\" (its log warns at start when they are not).{(credentials is null ? " Insecure = true connects without TLS: a cluster started without --insecure refuses that; give its auth token instead." : string.Empty)}",
                ex);
        }
        finally
        {
            await stopCheck.CancelAsync().ConfigureAwait(false);
        }

        var runtime = host.Services.GetRequiredService<NodeRuntime>();
        ObjectStore.ObjectStoreClient? store = null;
        JobCodeUpload.Result code = default;
        try
        {
            runtime.NodeId = new NodeId("driver:" + runtime.WorkerId);
            runtime.JoinCluster();
            await runtime.Cluster.Refresh.RefreshAsync().WaitAsync(ConnectDeadline, cancellationToken).ConfigureAwait(false);
            store = await AttachNodeStoreAsync(runtime, endpoint, host.Services, cancellationToken).ConfigureAwait(false);
            if (options.RuntimeEnv.ShipCode)
            {
                code = await JobCodeUpload.UploadAsync(runtime.GrainFactory, runtime.WorkerId.ToString(), options.RuntimeEnv, jobAssemblies, workingDir, host.Services.GetRequiredService<ILogger<ConnectedCluster>>(), cancellationToken).ConfigureAwait(false);
                if (code.PackageId.Length > 0)
                {
                    // From here on the driver's values travel packed, as its job's code reads them on the nodes.
                    runtime.Copier.DriverCode = new Code.JobSerializer(runtime.Copier.Serializer, code.PackageId, options.RuntimeEnv.EnvVars.ToDictionary());
                }
            }
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            runtime.Dispose();
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            host.Dispose();
            credentials?.Dispose();
            throw;
        }

        var lossWatch = ClusterLossWatch.Start(runtime, address, endpoint, options.ReconnectTimeout, host.Services.GetRequiredService<ILogger<ConnectedCluster>>());
        return new ConnectedCluster(host, runtime, address, store, code, credentials, lossWatch);
    }

    /// <summary>Uses the object store of the node this driver connected through, when that node runs on this machine
    /// (Ray's driver uses its local raylet's store): the driver's large puts live there, and it maps objects there
    /// zero-copy, pulling other nodes' objects into it first. Elsewhere the driver has no store: it fetches values over
    /// the holders' transfer endpoints, and puts its large values into that node's store over its transfer endpoint
    /// (<see cref="NodeStorePuts"/>, Ray Client's chunked put).</summary>
    /// <returns>The driver's client of that store (closed when the driver disconnects), or null.</returns>
    private static async Task<ObjectStore.ObjectStoreClient?> AttachNodeStoreAsync(NodeRuntime runtime, IPEndPoint gateway, IServiceProvider services, CancellationToken cancellationToken)
    {
        var rows = await runtime.GrainFactory.GetGrain<Grains.INodeTableGrain>(0).ListAsync().WaitAsync(ConnectDeadline, cancellationToken).ConfigureAwait(false);
        var node = rows.FirstOrDefault(r => r.IsAlive && r.Gateway is { } g && IPEndPoint.TryParse(g, out var at) && at.Equals(gateway));
        if (node?.Store is not { SocketPath: { } socket } info || info.Machine != MachineIdentity.Value || !File.Exists(socket))
        {
            if (node?.Store is { } remote && node.Endpoint is { } endpoint)
            {
                runtime.Values.DriverPuts = new NodeStorePuts(remote.TransferEndPoint, node.NodeId.Value ?? string.Empty, runtime.Options.InlineThreshold, runtime.Copier.Serializer, runtime.Options.Credentials, endpoint, runtime.WorkerId);
            }

            return null;
        }

        ObjectStore.ObjectStoreClient client;
        try
        {
            client = await ObjectStore.ObjectStoreClient.ConnectAsync(socket, cancellationToken).WaitAsync(ConnectDeadline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store is there but does not answer (the node is stopping): go on without one.
            services.GetRequiredService<ILogger<ConnectedCluster>>().LogWarning(ex, "The object store of node {Node} at {Socket} cannot be used; this driver fetches large values over the network instead", node.NodeId, socket);
            return null;
        }

        var store = new LocalObjectStore(client, info.TransferEndPoint, runtime.Options, runtime.Copier.Serializer, services.GetRequiredService<ILogger<LocalObjectStore>>()) { SocketPath = socket };
        runtime.AttachStore(store, node.NodeId.Value ?? string.Empty);
        if (node.Endpoint is { } owner)
        {
            // The node records each put as this driver's, so it frees them if the driver is killed.
            runtime.Values.DriverPuts = new RecordedStorePuts(store, owner, node.NodeId.Value ?? string.Empty, runtime.WorkerId);
        }

        return client;
    }

    /// <summary>Why the TLS probe's <paramref name="probe"/> rules out connecting to <paramref name="address"/>, worded as
    /// <see cref="ClusterTls.HandshakeOutcome.Explain"/> words a failed connection (what the server did, then every
    /// cause the driver cannot tell apart, each with what to do); null when the driver may go on and connect.</summary>
    /// <param name="probe">What <see cref="ClusterTls.ProbeAsync"/> found.</param>
    /// <param name="address">The gateway, as given.</param>
    /// <param name="insecure">The driver connects without TLS (<see cref="RayOptions.Insecure"/>).</param>
    /// <param name="tokenSource">Where the driver's token came from (see <see cref="ResolveCredentials"/>).</param>
    internal static string? TlsProblem(ClusterTls.ProbeResult probe, string address, bool insecure, string tokenSource) => probe switch
    {
        // Without a token the probe cannot tell this cluster's certificate from any other: both causes are named.
        ClusterTls.ProbeResult.Tls or ClusterTls.ProbeResult.OtherKey when insecure =>
            ClusterTls.HandshakeOutcome.TlsAnswer(address, "Insecure = true", $"leave Insecure false and give RayOptions.AuthToken or ${ClusterCredentials.TokenVariable}"),
        ClusterTls.ProbeResult.OtherKey => ClusterTls.HandshakeOutcome.ForeignToken(address, tokenSource),
        ClusterTls.ProbeResult.Plain when !insecure => ClusterTls.HandshakeOutcome.PlainAnswer(address, "Insecure = true (CLI: --insecure)"),
        _ => null,
    };

    /// <summary>The token file the head writes on its machine (mode 0600), under <c>$ORLEANSRAY_TEMP_DIR</c> or
    /// <c>/tmp/orleansray</c>, as the address file.</summary>
    internal static string TokenFile => Path.Combine(Root, "orleansray_auth_token");

    private static string Root => RootFrom(Environment.GetEnvironmentVariable);

    private static string RootFrom(Func<string, string?> environment) =>
        environment("ORLEANSRAY_TEMP_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "orleansray");

    /// <summary>The driver's credentials: none with <see cref="RayOptions.Insecure"/>; else <see cref="RayOptions.AuthToken"/>,
    /// <c>$ORLEANSRAY_AUTH_TOKEN</c>, or this machine's token file, in that order; with where the token came from.</summary>
    /// <exception cref="ArgumentException">Both a token and Insecure.</exception>
    /// <exception cref="RayException">No token anywhere, or an unusable one (empty, white space, under 16 characters):
    /// the message names where it came from.</exception>
    /// <param name="options">The driver's options.</param>
    /// <param name="environment">Reads an environment variable; <see cref="Environment.GetEnvironmentVariable(string)"/>
    /// when null (tests give their own, as the process's variables are shared).</param>
    internal static (ClusterCredentials? Credentials, string Source) ResolveCredentials(RayOptions options, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (options.Insecure)
        {
            return options.AuthToken is null
                ? (null, "Insecure")
                : throw new ArgumentException("RayOptions.AuthToken and Insecure are both set: Insecure connects without a token, to a cluster started with --insecure.", nameof(options));
        }

        // The variable only when no option decides: Insecure = false set explicitly, or a token given, win over it.
        if (options.InsecureGiven is null && options.AuthToken is null && InsecureByEnvironment(environment))
        {
            return (null, "$" + InsecureVariable);
        }

        string token;
        string source;
        if (options.AuthToken is { } given)
        {
            (token, source) = (given.Trim(), "RayOptions.AuthToken");
        }
        else if (environment(ClusterCredentials.TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            (token, source) = (fromEnvironment.Trim(), "$" + ClusterCredentials.TokenVariable);
        }
        else if (ReadTokenFile() is { } fromFile)
        {
            (token, source) = (fromFile, TokenFile);
        }
        else
        {
            throw new RayException($"No auth token for the cluster: set RayOptions.AuthToken or ${ClusterCredentials.TokenVariable} to the token `orleansray start --head` printed (on the head's machine a driver finds it in {TokenFile}), or Insecure = true for a cluster started with --insecure.");
        }

        // A token problem is the driver's connection failing, as a wrong token is (README, "Errors"): a RayException,
        // worded alike whichever source gave the token.
        return ClusterCredentials.Problem(token) is { } problem
            ? throw new RayException($"{source}: {problem}")
            : (ClusterCredentials.FromToken(token), source);
    }

    /// <summary>True when <c>$ORLEANSRAY_INSECURE</c> says to connect without TLS or a token; false when it is unset,
    /// empty or false.</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <exception cref="ArgumentException">The variable holds something else than true, false, 1 or 0; or it is true
    /// while <c>$ORLEANSRAY_AUTH_TOKEN</c> holds a token (the two contradict each other). One line, naming the variable.</exception>
    internal static bool InsecureByEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var text = environment(InsecureVariable)?.Trim();
        var insecure = text switch
        {
            null or "" => false,
            "1" => true,
            "0" => false,
            _ when bool.TryParse(text, out var value) => value,
            _ => throw new ArgumentException($"${InsecureVariable} is '{text}': expected true, false, 1 or 0 (true connects without TLS or a token, to a cluster started with --insecure); fix or unset it."),
        };
        if (insecure && environment(ClusterCredentials.TokenVariable) is { Length: > 0 })
        {
            throw new ArgumentException($"${InsecureVariable} is '{text}' and ${ClusterCredentials.TokenVariable} holds a token: unset one (${InsecureVariable} connects without a token, to a cluster started with --insecure).");
        }

        return insecure;
    }

    private static string? ReadTokenFile()
    {
        try
        {
            var text = File.ReadAllText(TokenFile).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"auto" means $ORLEANSRAY_ADDRESS, else the address file of the head started on this machine. An http:// or
    /// https:// URL in $ORLEANSRAY_ADDRESS is the head's job API (what the job verbs use, as Ray's RAY_ADDRESS), not a
    /// gateway: "auto" skips it and reads the address file.</summary>
    /// <param name="address">RayOptions.Address.</param>
    /// <param name="environment">Reads an environment variable; <see cref="Environment.GetEnvironmentVariable(string)"/>
    /// when null (tests give their own, as the process's variables are shared).</param>
    internal static string ResolveAddress(string address, Func<string, string?>? environment = null)
    {
        if (!string.Equals(address, "auto", StringComparison.OrdinalIgnoreCase))
        {
            return address;
        }

        environment ??= Environment.GetEnvironmentVariable;
        string? jobApiUrl = null;
        if (environment(AddressVariable)?.Trim() is { Length: > 0 } fromEnvironment)
        {
            if (!IsHttpUrl(fromEnvironment))
            {
                return fromEnvironment;
            }

            jobApiUrl = fromEnvironment;
        }

        var file = Path.Combine(RootFrom(environment), "orleansray_current_cluster");
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } fromFile)
        {
            return fromFile;
        }

        var variable = jobApiUrl is null
            ? $"${AddressVariable} is not set"
            : $"${AddressVariable} is {jobApiUrl}, the job API's URL (for `orleansray job`), not a gateway's HOST:PORT,";
        throw new RayException($"RayOptions.Address = \"auto\" found no cluster: {variable} and {file} does not exist. Start one with `orleansray start --head`, or give the address (\"host:port\").");
    }

    private static bool IsHttpUrl(string value) =>
        value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    internal static IPEndPoint ParseEndpoint(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            throw new ArgumentException($"RayOptions.Address \"{address}\" is not \"host:port\" (e.g. \"127.0.0.1:30000\", the --port `orleansray start --head` printed) or \"auto\".", nameof(address));
        }

        var host = address[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var ip))
        {
            return new IPEndPoint(ip, port);
        }

        try
        {
            var resolved = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"RayOptions.Address: host '{host}' has no IPv4 address.", nameof(address));
            return new IPEndPoint(resolved, port);
        }
        catch (SocketException ex)
        {
            throw new ArgumentException($"RayOptions.Address: host '{host}' cannot be resolved ({ex.Message}).", nameof(address), ex);
        }
    }

    /// <summary>True once the driver gave its cluster up (<see cref="ClusterLossWatch"/>): nothing there answers it.</summary>
    public bool IsLost => Runtime.Node.IsLost;

    /// <summary>The driver is ending its own job (its dispose has begun): the loss watch no longer asks whether it ended.</summary>
    public void Leaving() => _lossWatch.Leaving();

    public async ValueTask DisposeAsync()
    {
        _lossWatch.Dispose();
        Runtime.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            // A lost cluster answers no goodbye: the client only stops its retries.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(IsLost ? 1 : 5));
            await _host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Leaving is best effort: the gateway drops a client that went away.
        }
        finally
        {
            _host.Dispose();
            _credentials?.Dispose();
        }
    }
}
