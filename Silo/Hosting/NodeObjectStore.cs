using OrleansRay.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.ObjectStore;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.Silo.Hosting;

/// <summary>The node's object store as its own process (<c>orleansray-store</c>), started with the node and stopped with
/// it; it also exits by itself if the node process dies (it watches the node's pid).</summary>
/// <remarks>Started before the node's host (the runtime connects to it as the host is built, and keeps every value above
/// the inline threshold in it) and disposed after the host. The figures (<see cref="FiguresAsync"/>, the runtime's
/// <c>StoreFiguresProvider</c>) come through a client of their own, connected at the first ask.</remarks>
internal sealed partial class NodeObjectStore : IAsyncDisposable
{
    /// <summary>How long a figures request may take: the store answers from memory in microseconds, so a store that
    /// has not answered within a second is stuck, and the dashboard must not wait for it.</summary>
    private static readonly TimeSpan FiguresDeadline = TimeSpan.FromSeconds(1);

    private readonly NodeSettings _settings;
    private readonly long _capacity;
    private readonly ILogger<NodeObjectStore> _logger;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ObjectStoreProcess? _process;
    private ObjectStoreClient? _client;
    private int _failures;
    private ILoggerFactory? _loggers;

    private NodeObjectStore(NodeSettings settings, long capacity, ILogger<NodeObjectStore> logger)
    {
        _settings = settings;
        _capacity = capacity;
        _logger = logger;
    }

    /// <summary>Starts the store process of the node <paramref name="settings"/> describe, with the capacity the node
    /// reports as its object_store_memory.</summary>
    public static async Task<NodeObjectStore> StartAsync(NodeSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new RayNodeOptions();
        options.CopyFrom(settings.ToRayOptions());
        var capacity = (long)NodeRuntimeOptionsFactory.Create(options).Resources[ResourceSet.ObjectStoreMemory];
        // The node's host (and its logging) is built after the store: the store logs through its own console logger, in
        // the node's format, kept until the store is disposed.
        var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled;
        }));
        var store = new NodeObjectStore(settings, capacity, loggers.CreateLogger<NodeObjectStore>()) { _loggers = loggers };
        try
        {
            await store.StartProcessAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return store;
    }

    /// <summary>The running store, once started.</summary>
    public ObjectStoreProcess? Process => _process;

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var storeDir = Path.Combine(_settings.Session, "store", _settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(storeDir);
        _process = await ObjectStoreProcess.StartAsync(new ObjectStoreProcessOptions
        {
            Store = new ObjectStoreOptions
            {
                Capacity = _capacity,
                SocketPath = Path.Combine(storeDir, "store.sock"),
                SpillDirectory = Path.Combine(storeDir, "spill"),
                ArenaDirectory = Cli.OptionValues.ArenaDirectory,
                TransferAddress = _settings.NodeIpAddress,
                TransferPort = _settings.ObjectManagerPort ?? 0,
                // Pages are committed on first use: a node must not take 30% of the machine's RAM at start.
                Prefault = false,
                // Its token goes into the store's environment (removed from it when null: --insecure).
                Credentials = _settings.Credentials,
            },
            StandardErrorLine = line => LogStoreError(_logger, line),
        }, cancellationToken).ConfigureAwait(false);
        LogStoreStarted(_logger, _process.ProcessId, _process.Capacity, _process.SocketPath, _process.TransferEndPoint?.ToString() ?? "none");
    }

    /// <summary>The store process' statistics; null when it is not running. Throws when it does not answer (within
    /// a second): the caller shows why the figures are missing; the log gets the first failure of a run.</summary>
    public async Task<ObjectStoreStats?> StatsAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(FiguresDeadline);
        try
        {
            if (await ClientAsync(deadline.Token).ConfigureAwait(false) is not { } client)
            {
                return null;
            }

            var stats = await client.GetStatsAsync(deadline.Token).ConfigureAwait(false);
            Interlocked.Exchange(ref _failures, 0);
            return stats;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            if (Interlocked.Increment(ref _failures) == 1)
            {
                LogStatsFailed(_logger, ex);
            }

            throw;
        }
    }

    /// <summary>The store's figures as a node reports them (<see cref="NodeDetails.Store"/>).</summary>
    public async Task<StoreFigures?> FiguresAsync(CancellationToken cancellationToken) =>
        await StatsAsync(cancellationToken).ConfigureAwait(false) is { } s
            ? new StoreFigures(s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledBytes, s.SpillCount, s.RestoreCount, s.PullBytesReceived, s.TransferBytesSent)
            : null;

    public async ValueTask DisposeAsync()
    {
        var client = Interlocked.Exchange(ref _client, null);
        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        var process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            await process.DisposeAsync().ConfigureAwait(false);
            LogStoreStopped(_logger, process.ProcessId);
        }

        _connecting.Dispose();
        Interlocked.Exchange(ref _loggers, null)?.Dispose();
    }

    /// <summary>A client of the store process, connected at the first request and kept; null once the process is gone.</summary>
    private async ValueTask<ObjectStoreClient?> ClientAsync(CancellationToken cancellationToken)
    {
        if (_process is not { HasExited: false } process)
        {
            return null;
        }

        if (Volatile.Read(ref _client) is { } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _client ??= await process.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connecting.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Object store started: pid {Pid}, {Capacity} bytes, socket {Socket}, transfer {Transfer}")]
    private static partial void LogStoreStarted(ILogger logger, int pid, long capacity, string socket, string transfer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Object store: {Line}")]
    private static partial void LogStoreError(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "Object store {Pid} stopped")]
    private static partial void LogStoreStopped(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The object store's statistics cannot be read (the dashboard shows the error; logged once per run of failures)")]
    private static partial void LogStatsFailed(ILogger logger, Exception exception);
}
