using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Hosting;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Transfer;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>Peer transfers with the cluster's credentials: TLS 1.3, both ends proving the token's key; a process with
/// another token or none is refused at once, with a message saying so, and the refusal is logged with its address.</summary>
public sealed class TransferSecurityTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stores_with_the_same_token_pull_and_fetch_a_sealed_object_over_TLS()
    {
        var token = ClusterCredentials.NewToken();
        using var holderCredentials = ClusterCredentials.FromToken(token);
        using var readerCredentials = ClusterCredentials.FromToken(token); // another process' instance: same key, another certificate
        var refusals = new ConcurrentQueue<string>();
        await using var holder = await StartAsync(holderCredentials, refusals);
        await using var reader = await StartAsync(readerCredentials, refusals);
        var (id, data) = await PutAsync(holder, (3 << 20) + 17);

        await using (var client = reader.Connect())
        {
            await client.PullAsync(id, holder.TransferEndPoint!);
            using var pulled = await client.GetAsync(id, TimeSpan.Zero);
            Assert.True(pulled.Span.SequenceEqual(data));
        }

        var fetched = await ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, readerCredentials);
        Assert.True(fetched.AsSpan().SequenceEqual(data));
        Assert.Empty(refusals);
    }

    [Fact]
    public async Task Another_token_is_refused_with_a_message_naming_it_and_the_holder_serves_its_cluster_afterwards()
    {
        using var cluster = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        using var other = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        var refusals = new ConcurrentQueue<string>();
        await using var holder = await StartAsync(cluster, refusals);
        await using var stranger = await StartAsync(other, new ConcurrentQueue<string>());
        var (id, data) = await PutAsync(holder, 1 << 20);

        var fetch = await Assert.ThrowsAsync<ObjectTransferException>(() => ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, other));
        Assert.Contains("another auth token", fetch.Message, StringComparison.Ordinal);
        Assert.Contains(holder.TransferEndPoint!.ToString(), fetch.Message, StringComparison.Ordinal);

        await using (var client = stranger.Connect())
        {
            var pull = await Assert.ThrowsAsync<ObjectTransferException>(async () => await client.PullAsync(id, holder.TransferEndPoint!, Long));
            Assert.Contains("another auth token", pull.Message, StringComparison.Ordinal);
            Assert.False(await client.ContainsAsync(id));
        }

        // Both refusals are logged by the holder, with the peer's address.
        await Waiting.UntilAsync(() => Task.FromResult(refusals.Count >= 2), Long, "two refusals logged");
        Assert.All(refusals, line => Assert.Matches(@"^refused a peer-transfer connection from 127\.0\.0\.1:\d+: it did not complete TLS 1\.3 with this cluster's key", line));

        var fetched = await ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, cluster);
        Assert.True(fetched.AsSpan().SequenceEqual(data));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_holder_itself_refuses_a_client_with_another_key_or_no_certificate_even_one_that_trusts_any_server(bool offerCertificate)
    {
        using var cluster = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        using var other = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        var refusals = new ConcurrentQueue<string>();
        await using var holder = await StartAsync(cluster, refusals);
        var (id, data) = await PutAsync(holder, 4096);
        var options = other.ClientOptions();
        options.RemoteCertificateValidationCallback = (_, _, _, _) => true; // a client that skips its own check
        if (!offerCertificate)
        {
            options.ClientCertificates = null;
        }

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(holder.TransferEndPoint!);
        await using var tls = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: false));
        var served = 0;
        try
        {
            // TLS 1.3 checks the client's certificate after the client's side of the handshake: the refusal shows on the first read.
            await tls.AuthenticateAsClientAsync(options).WaitAsync(Long);
            await tls.WriteAsync(TransferWire.EncodeRequest(id, TimeSpan.Zero)).AsTask().WaitAsync(Long);
            var buffer = new byte[TransferWire.HeaderSize + data.Length];
            int read;
            while ((read = await tls.ReadAsync(buffer.AsMemory(served)).AsTask().WaitAsync(Long)) > 0)
            {
                served += read;
            }
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused: the alert or the closed connection.
        }

        Assert.Equal(0, served);
        await Waiting.UntilAsync(() => Task.FromResult(!refusals.IsEmpty), Long, "the refusal logged");
        Assert.Matches(@"^refused a peer-transfer connection from 127\.0\.0\.1:\d+: it did not complete TLS 1\.3 with this cluster's key", Assert.Single(refusals));
    }

    [Fact]
    public async Task A_plain_fetch_from_a_TLS_store_fails_at_once_saying_it_requires_the_token()
    {
        using var cluster = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        var refusals = new ConcurrentQueue<string>();
        await using var holder = await StartAsync(cluster, refusals);
        var (id, _) = await PutAsync(holder, 4096);

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ObjectTransferException>(() => ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, credentials: null));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the refusal took {watch.Elapsed}");
        Assert.Contains("requires TLS with the cluster's auth token", error.Message, StringComparison.Ordinal);
        Assert.Contains("--insecure", error.Message, StringComparison.Ordinal);

        await Waiting.UntilAsync(() => Task.FromResult(!refusals.IsEmpty), Long, "the refusal logged");
        Assert.Matches(@"^refused a peer-transfer connection from 127\.0\.0\.1:\d+: it sent a plain request", Assert.Single(refusals));
    }

    [Fact]
    public async Task A_TLS_fetch_from_a_plain_store_fails_saying_the_holder_may_run_without_TLS()
    {
        using var cluster = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        var refusals = new ConcurrentQueue<string>();
        await using var holder = await StartAsync(credentials: null, refusals);
        var (id, data) = await PutAsync(holder, 4096);

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ObjectTransferException>(() => ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, cluster));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the refusal took {watch.Elapsed}");
        Assert.Contains("runs without TLS (started with --insecure)", error.Message, StringComparison.Ordinal);
        await Waiting.UntilAsync(() => Task.FromResult(!refusals.IsEmpty), Long, "the refusal logged");
        Assert.Matches(@"^refused a peer-transfer connection from 127\.0\.0\.1:\d+: it asked for TLS", Assert.Single(refusals));

        // The plain path still serves plain peers.
        Assert.True((await ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, credentials: null)).AsSpan().SequenceEqual(data));
    }

    [Fact]
    public async Task A_peer_that_never_finishes_the_handshake_neither_stalls_the_holder_nor_stays_connected()
    {
        using var cluster = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        var refusals = new ConcurrentQueue<string>();
        await using var holder = await StartAsync(cluster, refusals);
        var (id, data) = await PutAsync(holder, 64 << 10);
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(holder.TransferEndPoint!);

        // Served while the silent peer holds its connection open.
        Assert.True((await ObjectTransfer.FetchAsync(id, holder.TransferEndPoint!, Long, cluster)).AsSpan().SequenceEqual(data));

        // The holder gives up on it after the handshake timeout: it closes the connection and logs the refusal.
        var read = await silent.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TransferConnection.HandshakeTimeout + Long);
        Assert.Equal(0, read);
        await Waiting.UntilAsync(() => Task.FromResult(!refusals.IsEmpty), Long, "the refusal logged");
        Assert.Matches(@"^refused a peer-transfer connection from 127\.0\.0\.1:\d+: it did not complete the TLS handshake within 10 s", Assert.Single(refusals));
    }

    [Fact]
    public async Task Store_processes_with_the_token_in_their_environment_pull_over_TLS_and_refuse_plain_peers()
    {
        var token = ClusterCredentials.NewToken();
        using var credentials = ClusterCredentials.FromToken(token);
        var stderr = new ConcurrentQueue<string>();
        await using var first = await ObjectStoreProcess.StartAsync(ProcessOptions(credentials, stderr));
        await using var second = await ObjectStoreProcess.StartAsync(ProcessOptions(credentials, new ConcurrentQueue<string>()));
        await using var writer = await first.ConnectAsync();
        await using var reader = await second.ConnectAsync();
        var id = StoreObjectId.NewId();
        var data = Patterns.Create((2 << 20) + 5, 7);
        await writer.PutAsync(id, data);

        // Store to store: the second process pulls with the token it was given in its environment.
        await reader.PullAsync(id, first.TransferEndPoint!, Long);
        using (var pulled = await reader.GetAsync(id, TimeSpan.Zero))
        {
            Assert.True(pulled.Span.SequenceEqual(data));
        }

        Assert.True((await ObjectTransfer.FetchAsync(id, first.TransferEndPoint!, Long, credentials)).AsSpan().SequenceEqual(data));
        var error = await Assert.ThrowsAsync<ObjectTransferException>(() => ObjectTransfer.FetchAsync(id, first.TransferEndPoint!, Long, credentials: null));
        Assert.Contains("requires TLS", error.Message, StringComparison.Ordinal);

        // The process logs the refusal on stderr, and its host gets the line.
        await Waiting.UntilAsync(() => Task.FromResult(stderr.Any(l => l.Contains("refused a peer-transfer connection from 127.0.0.1:", StringComparison.Ordinal))), Long, "the store's refusal line");
        Assert.Contains("orleansray-store: refused a peer-transfer connection from 127.0.0.1:", first.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_is_never_on_the_store_process_command_line()
    {
        var token = ClusterCredentials.NewToken();
        using var credentials = ClusterCredentials.FromToken(token);
        await using var store = await ObjectStoreProcess.StartAsync(ProcessOptions(credentials, new ConcurrentQueue<string>()));
        var commandLine = (await File.ReadAllBytesAsync($"/proc/{store.ProcessId}/cmdline")).Select(b => b == 0 ? ' ' : (char)b).ToArray();
        Assert.Contains("--socket", new string(commandLine), StringComparison.Ordinal);
        Assert.DoesNotContain(token, new string(commandLine), StringComparison.Ordinal);
    }

    internal static ObjectStoreProcessOptions ProcessOptions(ClusterCredentials? credentials, ConcurrentQueue<string> stderr) => new()
    {
        Store = TestStore.Options(8 << 20, o => o.Credentials = credentials),
        StandardErrorLine = stderr.Enqueue,
    };

    [Theory]
    [InlineData((8 << 20) + (3 << 20) + 5)] // the last TLS record straddles the receiver's buffer
    [InlineData(3 * 16384)]
    public async Task Over_TLS_the_last_bytes_of_a_send_arrive_while_the_sender_waits_for_an_answer(int size)
    {
        using var credentials = ClusterCredentials.FromToken(ClusterCredentials.NewToken());
        using var listener = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        var accepting = Task.Run(async () => await TransferConnection.AcceptAsync(await listener.AcceptAsync(), credentials, refused: null, CancellationToken.None));
        using var sender = await TransferConnection.ConnectAsync((System.Net.IPEndPoint)listener.LocalEndPoint!, credentials, reason => reason, CancellationToken.None);
        using var receiver = (await accepting)!;
        var data = Patterns.Create(size, 5);
        using var deadline = new CancellationTokenSource(Long);

        // The sender sends in chunks and then waits for the answer, keeping the connection open (as a put does).
        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < size; offset += 8 << 20)
            {
                await sender.SendAllAsync(data.AsMemory(offset, Math.Min(8 << 20, size - offset)), deadline.Token);
            }

            var answer = new byte[1];
            return await sender.ReceiveExactlyAsync(answer, deadline.Token) ? answer[0] : -1;
        });
        var received = new byte[size];
        Assert.True(await receiver.ReceiveExactlyAsync(received, deadline.Token), "every byte arrives before the sender closes");
        Assert.True(received.AsSpan().SequenceEqual(data));
        await receiver.SendAllAsync(new byte[] { 42 }, deadline.Token);
        Assert.Equal(42, await sending);
    }

    private static Task<EmbeddedObjectStore> StartAsync(ClusterCredentials? credentials, ConcurrentQueue<string> refusals) =>
        EmbeddedObjectStore.StartAsync(TestStore.Options(8 << 20, o =>
        {
            o.Credentials = credentials;
            o.PeerRefused = refusals.Enqueue;
        }));

    private static async Task<(StoreObjectId Id, byte[] Data)> PutAsync(EmbeddedObjectStore store, int size)
    {
        var id = StoreObjectId.NewId();
        var data = Patterns.Create(size, (ulong)size);
        await using var client = store.Connect();
        await client.PutAsync(id, data);
        return (id, data);
    }
}
