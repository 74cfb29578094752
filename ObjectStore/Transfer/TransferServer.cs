using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Arena;
using OrleansRay.ObjectStore.Security;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Transfer;

/// <summary>The store's TCP endpoint: serves its sealed objects to peers, straight from the arena, and takes the puts of
/// processes without a store of their own (<see cref="TransferPut"/>).</summary>
/// <remarks>One request per connection; the object is pinned while it is sent so it cannot be evicted or spilled under the
/// socket. With credentials, a peer must first complete TLS 1.3 with a certificate of the cluster's key (within
/// <see cref="TransferConnection.HandshakeTimeout"/>); one that does not is refused, reported to the refusal log with its
/// address, and the endpoint goes on serving the others.</remarks>
internal sealed class TransferServer : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    private readonly StoreCore _core;
    private readonly ClusterCredentials? _credentials;
    private readonly Action<string>? _refused;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Task> _transfers = new();
    private readonly Task _acceptLoop;

    public TransferServer(StoreCore core, IPAddress address, int port, ClusterCredentials? credentials, Action<string>? refused)
    {
        _core = core;
        _credentials = credentials;
        _refused = refused;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(address, port));
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] running;
        lock (_transfers)
        {
            running = _transfers.ToArray();
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket peer;
            try
            {
                peer = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException) when (!_stopping.IsCancellationRequested)
            {
                // A client that gave up before we accepted it (ECONNABORTED and the like): keep serving the others.
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var task = ServeAsync(peer);
            lock (_transfers)
            {
                _transfers.Add(task);
            }

            _ = task.ContinueWith(
                t =>
                {
                    lock (_transfers)
                    {
                        _transfers.Remove(t);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket peer)
    {
        await Task.Yield();
        StoreSession? session = null;
        TransferConnection? connection = null;
        var leased = false;
        try
        {
            connection = _credentials is null
                ? TransferConnection.Plain(peer)
                : await TransferConnection.AcceptAsync(peer, _credentials, _refused, _stopping.Token).ConfigureAwait(false);
            if (connection is null)
            {
                return;
            }

            using var requestTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            requestTimeout.CancelAfter(RequestTimeout);
            var request = new byte[TransferWire.RequestSize];
            if (!await connection.ReceiveExactlyAsync(request, requestTimeout.Token).ConfigureAwait(false))
            {
                return;
            }

            var magic = BinaryPrimitives.ReadUInt32LittleEndian(request);
            if (magic == TransferWire.PutMagic)
            {
                await TransferPut.ServeAsync(_core, connection, request, peer.RemoteEndPoint?.ToString() ?? "a peer", _stopping.Token).ConfigureAwait(false);
                return;
            }

            if (magic != TransferWire.Magic)
            {
                if (_credentials is null && request[0] == TransferConnection.TlsHandshakeRecord)
                {
                    _refused?.Invoke($"refused a peer-transfer connection from {peer.RemoteEndPoint}: it asked for TLS (it has an auth token), and this store runs without one (started with --insecure?)");
                }

                return;
            }

            var id = new StoreObjectId(request.AsSpan(4, StoreObjectId.Size));
            var waitMs = BinaryPrimitives.ReadInt64LittleEndian(request.AsSpan(4 + StoreObjectId.Size));
            var wait = waitMs <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(waitMs, (long)MaxWait.TotalMilliseconds));

            session = _core.OpenSession($"transfer to {peer.RemoteEndPoint}");
            var location = (await _core.GetAsync(session, [id], wait, _stopping.Token).ConfigureAwait(false))[0];
            var header = new byte[TransferWire.HeaderSize];
            header[0] = location is null ? TransferWire.NotFound : TransferWire.Found;
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(1), location?.Size ?? 0);
            await connection.SendAllAsync(header, _stopping.Token).ConfigureAwait(false);
            if (location is not { } found || found.Size == 0)
            {
                return;
            }

            leased = _core.TryEnterArena();
            if (leased)
            {
                await SendObjectAsync(connection, found).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or ArgumentException or IOException or ObjectStoreException)
        {
            // The peer went away, sent garbage, the object could not be restored, or the store is stopping:
            // the puller sees a short transfer and fails cleanly with ObjectTransferException.
        }
        finally
        {
            if (leased)
            {
                _core.ExitArena();
            }

            if (session is not null)
            {
                _core.CloseSession(session);
            }

            connection?.Dispose();
            peer.Dispose();
        }
    }

    private async Task SendObjectAsync(TransferConnection connection, ObjectLocation location)
    {
        var chunk = _core.Options.TransferChunkSize;
        var rate = _core.Options.TransferRateLimit;
        var started = Stopwatch.GetTimestamp();
        long sent = 0;
        while (sent < location.Size)
        {
            var length = (int)Math.Min(chunk, location.Size - sent);
            await connection.SendAllAsync(Region(location.Offset + sent, length), _stopping.Token).ConfigureAwait(false);
            sent += length;
            _core.AddSentBytes(length);
            if (rate > 0)
            {
                // Pace to the configured rate: wait until the bytes sent so far are "due".
                var due = TimeSpan.FromSeconds(sent / (double)rate) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, _stopping.Token).ConfigureAwait(false);
                }
            }
        }
    }

    private unsafe ReadOnlyMemory<byte> Region(long offset, int length)
    {
        _core.Arena.CheckRange(offset, length);
        return new UnmanagedMemoryManager<byte>(_core.Arena.Pointer + offset, length).Memory;
    }
}
