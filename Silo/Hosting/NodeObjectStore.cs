using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.ObjectStore.Hosting;

namespace OrleansRay.Silo.Hosting;

/// <summary>The node's object store as its own process (<c>orleansray-store</c>), started with the node and stopped with
/// it; it also exits by itself if the node process dies (it watches the node's pid).</summary>
internal sealed partial class NodeObjectStore : IHostedService, IAsyncDisposable
{
    private readonly NodeSettings _settings;
    private readonly long _capacity;
    private readonly ILogger<NodeObjectStore> _logger;
    private ObjectStoreProcess? _process;

    public NodeObjectStore(NodeSettings settings, long capacity, ILogger<NodeObjectStore> logger)
    {
        _settings = settings;
        _capacity = capacity;
        _logger = logger;
    }

    /// <summary>The running store, once started.</summary>
    public ObjectStoreProcess? Process => _process;

    public async Task StartAsync(CancellationToken cancellationToken)
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
                TransferAddress = _settings.NodeIpAddress,
                TransferPort = 0,
                // Pages are committed on first use: a node must not take 30% of the machine's RAM at start.
                Prefault = false,
            },
        }, cancellationToken).ConfigureAwait(false);
        LogStoreStarted(_logger, _process.ProcessId, _process.Capacity, _process.SocketPath, _process.TransferEndPoint?.ToString() ?? "none");
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            await process.DisposeAsync().ConfigureAwait(false);
            LogStoreStopped(_logger, process.ProcessId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Object store started: pid {Pid}, {Capacity} bytes, socket {Socket}, transfer {Transfer}")]
    private static partial void LogStoreStarted(ILogger logger, int pid, long capacity, string socket, string transfer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Object store {Pid} stopped")]
    private static partial void LogStoreStopped(ILogger logger, int pid);
}
