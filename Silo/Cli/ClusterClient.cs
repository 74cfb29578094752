using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
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
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(ConnectDeadline, cancellationToken).ConfigureAwait(false);
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

            throw new CliException($"no OrleansRay cluster answers at {address} ({ex.GetBaseException().Message.TrimEnd('.')}). Is it running? `orleansray start --head` starts one.{(credentials is null ? " With --insecure: a cluster started without --insecure refuses plain connections; give its auth token instead." : string.Empty)}");
        }

        return new ClusterClient(host, address, credentials);
    }

    /// <summary>The node endpoint of the head behind <paramref name="address"/>: the silo serving that gateway, else the oldest.</summary>
    public static async Task<IPEndPoint> FindPrimaryNodeAsync(string address, Func<ClusterCredentials?> credentials, CancellationToken cancellationToken)
    {
        await using var cluster = await ConnectAsync("--address", address, credentials, cancellationToken).ConfigureAwait(false);
        var (_, port) = OptionValues.HostPort("--address", address);
        var hosts = await cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        var head = hosts.FirstOrDefault(h => h.ProxyPort == port) ?? hosts.OrderBy(h => h.StartTime).FirstOrDefault()
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
