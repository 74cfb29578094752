using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using OrleansRay.Grains;
using OrleansRay.Hosting;
using OrleansRay.ObjectStore.Security;
using OrleansRay.Silo.Hosting;

namespace OrleansRay.Silo.Cli;

/// <summary>An Orleans client connected to a cluster's gateway ("host:port"), for <c>status</c> and for a worker
/// looking up the head.</summary>
internal sealed class ClusterClient : IAsyncDisposable
{
    /// <summary>How long connecting may take: a local connect is ~0.5 s; a refused port fails at once.</summary>
    public static readonly TimeSpan ConnectDeadline = TimeSpan.FromSeconds(15);

    private readonly IHost _host;

    private readonly ClusterCredentials? _credentials;

    private ClusterClient(IHost host, string address, ClusterCredentials? credentials)
    {
        _credentials = credentials;
        _host = host;
        Address = address;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public string Address { get; }

    public IClusterClient Client { get; }

    /// <summary>The address a command talks to: <paramref name="given"/> (<c>--address</c>), else the address file of the
    /// cluster started on this machine; a one-line error when there is neither.</summary>
    public static string ResolveAddress(string? given, CliPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return given ?? paths.ReadAddress()
            ?? throw new CliException($"no cluster address: give --address HOST:PORT, or start a cluster with `orleansray start --head` (no address file at {paths.AddressFile}).");
    }

    /// <summary>The gateway address of <c>status</c> and the state verbs (<c>list</c>, <c>get</c>, <c>summary</c>,
    /// <c>memory</c>, <c>timeline</c>), as Ray's CLI honours <c>RAY_ADDRESS</c>: <paramref name="given"/>
    /// (<c>--address</c>), else <c>$ORLEANSRAY_ADDRESS</c> when it holds a HOST:PORT (not <c>auto</c>, which means the
    /// address file, nor the job verbs' <c>http://</c> URL), else the address file of the cluster started on this
    /// machine. <paramref name="source"/> names where it came from, for messages.</summary>
    public static string ResolveGatewayAddress(string? given, CliPaths paths, out string source)
    {
        source = "--address";
        if (given is null
            && Environment.GetEnvironmentVariable(ConnectedCluster.AddressVariable)?.Trim() is { Length: > 0 } fromEnvironment
            && !string.Equals(fromEnvironment, "auto", StringComparison.OrdinalIgnoreCase)
            && !fromEnvironment.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            && !fromEnvironment.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            source = "$" + ConnectedCluster.AddressVariable;
            return fromEnvironment;
        }

        if (given is null)
        {
            // Not typed: the message names the file it was read from, not an --address the user did not give.
            source = $"{paths.AddressFile} holds";
        }

        return ResolveAddress(given, paths);
    }

    /// <param name="option">The option the address came from, for messages.</param>
    /// <param name="address">"host:port" of a gateway.</param>
    /// <param name="credentialsSource">Gives the cluster's credentials (TLS with its key; null for a cluster started with
    /// --insecure); asked only once something answers at the address, so "nothing answers" comes before "no token".</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public static async Task<ClusterClient> ConnectAsync(string option, string address, Func<ClusterCredentials?> credentialsSource, CancellationToken cancellationToken)
    {
        var (hostName, port) = OptionValues.HostPort(option, address);
        var endpoint = new IPEndPoint(OptionValues.Resolve(option, hostName), port);
        // A port where nothing listens fails here in milliseconds, not after the client's whole connect timeout.
        await OptionValues.EnsureAnswersAsync(option, address, endpoint, cancellationToken).ConfigureAwait(false);
        ArgumentNullException.ThrowIfNull(credentialsSource);
        var credentials = credentialsSource();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        switch (await ClusterTls.ProbeAsync(endpoint, credentials, cancellationToken).ConfigureAwait(false))
        {
            case ClusterTls.ProbeResult.Tls when credentials is null:
                throw CliException.Usage($"cannot connect to {address}: {ClusterTls.HandshakeOutcome.TlsAnswer(address, "--insecure", $"leave out --insecure and give --auth-token or ${ClusterCredentials.TokenVariable}")}.");
            case ClusterTls.ProbeResult.OtherKey:
                throw CliException.Usage($"cannot connect to {address}: {ClusterTls.HandshakeOutcome.ForeignCertificate(address, $"it holds another auth token than the one this command used (--auth-token, else ${ClusterCredentials.TokenVariable}, else {CliPaths.Current.TokenFile}; use the token its head printed)")}.");
            case ClusterTls.ProbeResult.Plain when credentials is not null && await AnswersHttpAsync(endpoint, cancellationToken).ConfigureAwait(false):
                credentials.Dispose();
                throw CliException.Usage(DashboardPort(option, address));
            case ClusterTls.ProbeResult.Plain when credentials is not null:
                throw CliException.Usage($"cannot connect to {address}: {ClusterTls.HandshakeOutcome.PlainAnswer(address, "--insecure")}.");
        }

        var handshake = new ClusterTls.HandshakeOutcome();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoint);
            if (credentials is not null)
            {
                client.UseClusterTls(credentials, handshake);
            }
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = NodeSettings.ClusterId;
                o.ServiceId = NodeSettings.ClusterId;
            });
        });
        var host = builder.Build();
        // Beside the client's start, as a driver does (ConnectedCluster): a node's silo port or the dashboard's HTTP port
        // given for the gateway is told at once, not after the client's whole connect deadline.
        using var stopStart = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopCheck = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = host.StartAsync(stopStart.Token).WaitAsync(ConnectDeadline, cancellationToken);
        var wrongPort = WrongPortAsync(option, address, endpoint, credentials, stopCheck.Token);
        if (await Task.WhenAny(start, wrongPort).ConfigureAwait(false) == wrongPort && await wrongPort.ConfigureAwait(false) is { } wrong)
        {
            await stopStart.CancelAsync().ConfigureAwait(false);
            try
            {
                await start.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The start this command cancelled (or that failed on its own meanwhile): nothing connected.
            }

            host.Dispose();
            credentials?.Dispose();
            throw CliException.Usage(wrong);
        }

        try
        {
            await start.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            credentials?.Dispose();
            if (credentials is not null && handshake.Explain(address, "this command (--auth-token, else $" + ClusterCredentials.TokenVariable + ", else the token file)", "--insecure", waited.Elapsed) is { } why)
            {
                // A certificate of another key is bad input (exit code 2, as for any option a person must fix); no TLS
                // answer at all (the probe found the node slow, then the client's deadline passed) is mostly a node that
                // does not respond: exit code 1, as when nothing answers.
                throw handshake.SawForeignKey ? CliException.Usage($"cannot connect to {address}: {why}.") : new CliException($"cannot connect to {address}: {why}.");
            }

            throw new CliException($"no OrleansRay cluster answers at {address} ({ex.GetBaseException().Message.TrimEnd('.')}). Is it running? `orleansray start --head` starts one; a silo an application hosts with UseOrleansRay answers only with ServiceId and ClusterId \"orleansray\" (its log warns at start otherwise).{(credentials is null ? " With --insecure: a cluster started without --insecure refuses plain connections; give its auth token instead." : string.Empty)}");
        }

        finally
        {
            await stopCheck.CancelAsync().ConfigureAwait(false);
        }

        return new ClusterClient(host, address, credentials);
    }

    /// <summary>How long the client's start runs before the HTTP check (which sends a request) looks at the port: a
    /// gateway on this machine connects well within it, so a working cluster never sees that request.</summary>
    private static readonly TimeSpan HttpCheckAfter = TimeSpan.FromSeconds(2);

    /// <summary>The one-line message when <paramref name="endpoint"/> is not a gateway but a node's silo port (it speaks
    /// first: <see cref="NodePortCheck"/>) or an HTTP server (the dashboard's port answers an HTTP request); null when
    /// neither (or when cancelled: the client connected).</summary>
    private static async Task<string?> WrongPortAsync(string option, string address, IPEndPoint endpoint, ClusterCredentials? credentials, CancellationToken cancellationToken)
    {
        if (await NodePortCheck.SpeaksFirstAsync(endpoint, credentials, cancellationToken).ConfigureAwait(false))
        {
            return $"{option} {address}: that is a node's port (its --node-port, where only nodes connect; it answers as an OrleansRay node's silo port), not the cluster's client (gateway) port. Give the head's client port, its --port (default 30000; the Address `orleansray start --head` and `orleansray status` print).";
        }

        try
        {
            await Task.Delay(HttpCheckAfter, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        return await AnswersHttpAsync(endpoint, cancellationToken).ConfigureAwait(false) ? DashboardPort(option, address) : null;
    }

    /// <summary>The message for an HTTP port (the dashboard's) given where the gateway's HOST:PORT is wanted.</summary>
    internal static string DashboardPort(string option, string address) =>
        $"{option} {address}: that is an HTTP port (the dashboard's, http://{address}), not the cluster's client (gateway) port. Give the head's client port, its --port (default 30000; the Address `orleansray start --head` and `orleansray status` print); the http:// dashboard URL is for the `orleansray job` verbs.";

    /// <summary>True when the server at <paramref name="endpoint"/> answers a plain HTTP request with an HTTP status line
    /// within <see cref="OptionValues.ProbeDeadline"/>: a web server (the dashboard), not an OrleansRay gateway (which reads
    /// a preamble, or a TLS handshake, and answers neither with "HTTP/").</summary>
    internal static async Task<bool> AnswersHttpAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(OptionValues.ProbeDeadline);
            using var tcp = new System.Net.Sockets.TcpClient(endpoint.AddressFamily);
            await tcp.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            var stream = tcp.GetStream();
            await stream.WriteAsync("HEAD /healthz HTTP/1.0\r\n\r\n"u8.ToArray(), deadline.Token).ConfigureAwait(false);
            var buffer = new byte[5];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), deadline.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return read == buffer.Length && buffer.AsSpan().SequenceEqual("HTTP/"u8);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The node endpoint of the head of the cluster behind <paramref name="address"/> (the head's gateway or any
    /// other node's): the live node the node table marks as started as head, else the oldest silo.</summary>
    public static async Task<IPEndPoint> FindPrimaryNodeAsync(string address, Func<ClusterCredentials?> credentials, CancellationToken cancellationToken)
    {
        await using var cluster = await ConnectAsync("--address", address, credentials, cancellationToken).ConfigureAwait(false);
        var hosts = await cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (hosts.Any(h => NodeSettings.IsPostgresSiloName(h.SiloName)))
        {
            // Such a head serves no membership to dial: a worker without the database would wait its whole start deadline.
            throw CliException.Usage($"--address {address}: that cluster keeps its membership in PostgreSQL; set ${NodeSettings.StorageVariable} (or --storage) to the head's connection string to join it.");
        }

        // The head keeps the membership (Orleans' development clustering dials it), so a node joins through the head's
        // silo endpoint whichever node's address it was given: dialling a worker's would start a cluster of its own.
        string? headId;
        try
        {
            var rows = await cluster.Client.GetGrain<INodeTableGrain>(0).ListAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            headId = rows.FirstOrDefault(r => r.IsAlive && r.StartedAsHead)?.NodeId.Value;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            headId = null; // the node table did not answer: the oldest silo, which in a cluster without a database is the head
        }

        var head = hosts.FirstOrDefault(h => headId is not null && h.SiloAddress.ToParsableString() == headId)
            ?? hosts.OrderBy(h => h.StartTime).FirstOrDefault()
            ?? throw new CliException($"--address {address}: the cluster reports no active node.");
        return head.SiloAddress.Endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Leaving is best effort: the gateway drops the connection of a client that went away.
        }
        finally
        {
            _host.Dispose();
            _credentials?.Dispose();
        }
    }
}
