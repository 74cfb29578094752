using System.Net.Sockets;
using OrleansRay.ObjectStore.Storage;

namespace OrleansRay.ObjectStore.Protocol;

/// <summary>The store's Unix domain socket: owner-only (0600), one <see cref="StoreConnection"/> per client.</summary>
internal sealed class StoreSocketServer : IAsyncDisposable
{
    private readonly StoreCore _core;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<StoreConnection, Task> _connections = new();
    private readonly Task _acceptLoop;
    private int _connectionCount;

    public StoreSocketServer(StoreCore core, string path)
    {
        _core = core;
        Path = path;
        if (File.Exists(path))
        {
            // A socket file left by a store that was killed; binding fails while it exists.
            File.Delete(path);
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));

            // Before Listen(): no client can connect while the file still has the default mode.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        _acceptLoop = AcceptLoopAsync();
    }

    public string Path { get; }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] running;
        lock (_connections)
        {
            foreach (var connection in _connections.Keys)
            {
                connection.Close();
            }

            running = _connections.Values.ToArray();
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Removed already.
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
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

            StoreConnection connection;
            try
            {
                connection = new StoreConnection(client, _core, Interlocked.Increment(ref _connectionCount), _stopping.Token);
            }
            catch (ObjectDisposedException)
            {
                client.Dispose();
                return;
            }

            lock (_connections)
            {
                _connections[connection] = RunConnectionAsync(connection);
            }
        }
    }

    private async Task RunConnectionAsync(StoreConnection connection)
    {
        await Task.Yield();
        await connection.RunAsync().ConfigureAwait(false);
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }
}
