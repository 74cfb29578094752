using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.Node;

/// <summary>Sends what the tasks and actor calls of connected drivers' jobs print on this node to those drivers (Ray's
/// <c>log_to_driver</c>): one <see cref="DriverOutputQueue"/> per driver, which batches the lines
/// <see cref="TaskOutputCapture"/> hands it.</summary>
/// <remarks>A driver's endpoint is looked up once per job in the job table (<see cref="IJobTableGrain.LogSinkAsync"/>):
/// a nested task's owner is the task that submitted it, not the driver, and no task carries its driver's endpoint. A
/// driver that asked for no output (<c>RayOptions.LogToDriver = false</c>), or an embedded one, has none there: its
/// queue closes and its lines stay in this node's own output. Safe from any thread.</remarks>
internal sealed partial class TaskOutputForwarder
{
    private readonly ConcurrentDictionary<WorkerId, DriverOutputQueue> _drivers = new();
    private readonly WorkerId _self;
    private readonly Func<WorkerId, Task<Func<TaskOutputBatch, Task>?>> _findDriver;
    private readonly Func<string> _ip;

    /// <summary>A forwarder of the runtime whose worker id is <paramref name="self"/>.</summary>
    /// <param name="self">This runtime's worker id: output of its own job (an embedded driver's) is on its console already.</param>
    /// <param name="findDriver">Finds where a driver's output goes (a send of one batch), or null when it wants none.</param>
    /// <param name="ip">This node's IP address (read per batch: it is known once the silo has started).</param>
    /// <param name="logger">Logs a driver that cannot be reached.</param>
    /// <param name="time">Times the batches.</param>
    public TaskOutputForwarder(WorkerId self, Func<WorkerId, Task<Func<TaskOutputBatch, Task>?>> findDriver, Func<string> ip, ILogger logger, TimeProvider time)
    {
        _self = self;
        _findDriver = findDriver;
        _ip = ip;
        Logger = logger;
        Time = time;
    }

    /// <summary>How long a lookup of a driver in the job table may take before it is tried again.</summary>
    private static readonly TimeSpan LookupDeadline = TimeSpan.FromSeconds(10);

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    /// <summary>This node's process id and IP address, as a batch names its origin.</summary>
    internal (int Pid, string Ip) Origin => (Environment.ProcessId, _ip());

    /// <summary>The forwarder of <paramref name="runtime"/>: drivers found in the job table, batches sent to their endpoints.</summary>
    public static TaskOutputForwarder For(NodeRuntime runtime, ILogger logger) => new(
        runtime.WorkerId,
        async driver => await runtime.GrainFactory.GetGrain<IJobTableGrain>(0).LogSinkAsync(driver.ToString()).WaitAsync(LookupDeadline).ConfigureAwait(false) is { } endpoint
            ? endpoint.PrintTaskOutputAsync
            : null,
        () => IpOf(runtime.NodeId),
        logger,
        TimeProvider.System);

    /// <summary>Queues line <paramref name="text"/> that code of <paramref name="driver"/>'s job wrote (to standard error
    /// when <paramref name="isError"/>) under <paramref name="name"/>, for that driver. Never blocks: a full queue drops it.</summary>
    public void Add(WorkerId driver, string name, bool isError, string text)
    {
        if (driver == default || driver == _self)
        {
            return; // no job's (a detached actor's), or this process's own driver: its console has it already
        }

        _drivers.GetOrAdd(driver, static (id, forwarder) => new DriverOutputQueue(forwarder, id), this).Add(new TaskOutputLine(name, isError, text));
    }

    /// <summary>The jobs of <paramref name="drivers"/> ended: their queues are dropped (a driver that is gone prints nothing).</summary>
    public void Forget(IEnumerable<WorkerId> drivers)
    {
        foreach (var driver in drivers)
        {
            if (_drivers.TryRemove(driver, out var queue))
            {
                queue.Close();
            }
        }
    }

    /// <summary>Waits until the lines queued for <paramref name="driver"/> have been sent, for at most
    /// <paramref name="deadline"/>; returns how many were still queued then (0 when none were).</summary>
    public Task<int> DrainAsync(WorkerId driver, TimeSpan deadline) =>
        _drivers.TryGetValue(driver, out var queue) ? queue.DrainAsync(deadline) : Task.FromResult(0);

    /// <summary>Where <paramref name="driver"/>'s lines go (see the constructor's findDriver).</summary>
    internal Task<Func<TaskOutputBatch, Task>?> FindDriverAsync(WorkerId driver) => _findDriver(driver);

    /// <summary>The IP address of a node id ("10.0.0.3:11111@123456789"); the id itself when it is not one.</summary>
    internal static string IpOf(NodeId node) => node.TryGetSilo()?.Endpoint.Address.ToString() ?? node.Value ?? string.Empty;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Task output for driver {Driver} could not be sent ({Reason}); {Lines} line(s) dropped")]
    internal static partial void LogSendFailed(ILogger logger, WorkerId driver, string reason, int lines);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The job table could not say where driver {Driver}'s task output goes ({Reason}); asking again")]
    internal static partial void LogLookupFailed(ILogger logger, WorkerId driver, string reason);
}
