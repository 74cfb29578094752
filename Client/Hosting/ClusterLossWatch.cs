using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OrleansRay.Node;

namespace OrleansRay.Hosting;

/// <summary>Gives up a connected driver's cluster once nothing has answered the driver for its reconnect timeout
/// (<see cref="RayOptions.ReconnectTimeout"/>, else <c>$ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S</c>, else 60 s): the
/// driver's runtime refreshes its view of the cluster from the head every 0.3 s, and a view not refreshed for that long
/// means the cluster was stopped or killed, or the network to it is down. The driver's runtime is then shut down with
/// <see cref="ClusterLostException"/>: every pending get, wait and actor call fails with it, and so does every later
/// use (docs/adr/0033). Ray's driver exits once the GCS has been gone past <c>gcs_rpc_server_reconnect_timeout_s</c>;
/// the cluster's worker nodes do the same (the node host's head watch). Sooner when the node the driver connected
/// through is gone: once the view has missed a few refreshes, the watch dials that node's port, and a port that refuses
/// connections twice in a row (the process was stopped or killed; a paused or unreachable node does not refuse) ends the
/// driver at once, as Ray's driver ends with its raylet — well before the cluster, which no longer hears the driver,
/// ends its job (15 s).</summary>
internal sealed partial class ClusterLossWatch : IDisposable
{
    /// <summary>The variable the cluster's worker nodes read for how long they wait for a silent head; a driver waits
    /// as long for its cluster.</summary>
    public const string TimeoutVariable = "ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S";

    /// <summary>Ray's <c>gcs_rpc_server_reconnect_timeout_s</c>, the nodes' default too.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long the view may go unrefreshed (it refreshes every 0.3 s) before the watch dials the node's port.</summary>
    internal static readonly TimeSpan GoneCheckAfter = TimeSpan.FromSeconds(1);

    /// <summary>A silence at least this long is followed, once the view refreshes again, by asking the job table whether
    /// the cluster ended this driver's job meanwhile: it ends a driver's job once it has not heard it for 15 s.</summary>
    internal static readonly TimeSpan JobCheckAfter = TimeSpan.FromSeconds(5);

    /// <summary>How often a driver that hears its cluster asks the job table whether its job still runs (the cluster ends
    /// the job of a driver it has not heard for 15 s, which the driver may not have noticed: its own view may have gone
    /// on refreshing through a worker while the head could not hear it).</summary>
    internal static readonly TimeSpan JobCheckEvery = TimeSpan.FromSeconds(10);

    /// <summary>Refusals in a row, one per check, that mean the node is gone.</summary>
    private const int RefusalsForGone = 2;

    private readonly NodeRuntime _runtime;
    private readonly string _address;
    private readonly IPEndPoint? _gateway;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly DateTime _started = DateTime.UtcNow;

    private ClusterLossWatch(NodeRuntime runtime, string address, IPEndPoint? gateway, TimeSpan timeout, ILogger logger)
    {
        _runtime = runtime;
        _address = address;
        _gateway = gateway;
        Timeout = timeout;
        _logger = logger;
    }

    /// <summary>How long the cluster may stay silent.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Starts watching <paramref name="runtime"/>, a driver connected to <paramref name="address"/>.</summary>
    /// <param name="runtime">The driver's runtime (its cluster view says when the cluster last answered).</param>
    /// <param name="address">The cluster's address as the driver gave it, for the message.</param>
    /// <param name="gateway">That address resolved: the port dialled when the view stops refreshing; null dials none.</param>
    /// <param name="option"><see cref="RayOptions.ReconnectTimeout"/>.</param>
    /// <param name="logger">The driver's log (the error when the cluster is given up, a warning for a bad variable).</param>
    /// <param name="environment">Reads an environment variable; <see cref="Environment.GetEnvironmentVariable(string)"/>
    /// when null.</param>
    public static ClusterLossWatch Start(NodeRuntime runtime, string address, IPEndPoint? gateway, TimeSpan? option, ILogger logger, Func<string, string?>? environment = null)
    {
        var watch = new ClusterLossWatch(runtime, address, gateway, ResolveTimeout(option, environment ?? Environment.GetEnvironmentVariable, logger), logger);
        _ = Task.Run(() => watch.RunAsync(watch._stop.Token));
        return watch;
    }

    /// <summary>The timeout: <paramref name="option"/> when set, else the variable's seconds when they are a number from
    /// <see cref="RayOptions.MinReconnectTimeout"/> (5 s) up, else <see cref="DefaultTimeout"/> (with a warning for a
    /// variable that is set but is not such a number).</summary>
    internal static TimeSpan ResolveTimeout(TimeSpan? option, Func<string, string?> environment, ILogger logger)
    {
        if (option is { } given)
        {
            return given;
        }

        var text = environment(TimeoutVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultTimeout;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= RayOptions.MinReconnectTimeout.TotalSeconds && seconds <= TimeSpan.FromDays(365).TotalSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        LogBadTimeout(logger, TimeoutVariable, text, (int)DefaultTimeout.TotalSeconds);
        return DefaultTimeout;
    }

    /// <summary>The message of the driver's <see cref="ClusterLostException"/> (and of its log line).</summary>
    internal static string LostMessage(string address, TimeSpan silent) => string.Create(CultureInfo.InvariantCulture,
        $"The OrleansRay cluster at {address} has not answered this driver for {(int)silent.TotalSeconds} s (it was stopped or killed, or it is unreachable from here; the driver reads its view of the cluster from the head node through that address, so a head that is gone counts too): the driver gave it up, so its pending and later gets, waits and actor calls fail. Start the cluster again (`orleansray start --head`) or restore the network, then connect a new driver (Ray.InitAsync); how long a driver waits is RayOptions.ReconnectTimeout or ${TimeoutVariable} (default 60 s).");

    /// <summary>The message when the cluster ended the driver's job while the driver could not reach it.</summary>
    internal static string JobEndedMessage(string address, TimeSpan silent) => string.Create(CultureInfo.InvariantCulture,
        $"The OrleansRay cluster at {address} answers this driver again after {(int)silent.TotalSeconds} s of silence (this process or the cluster's head paused, or the network between them was down), but it ended the driver's job meanwhile (a cluster ends the job of a driver it has not heard for 15 s: its tasks were cancelled, its actors and objects freed): the driver gave its cluster up, so its pending and later gets, waits and actor calls fail. Connect a new driver (Ray.InitAsync).");

    /// <summary>The message when the job table lists the driver's job as ended while the driver hears the cluster.</summary>
    internal static string JobEndedWhileConnectedMessage(string address) => string.Create(CultureInfo.InvariantCulture,
        $"The OrleansRay cluster at {address} lists this driver's job as ended (`orleansray job stop`, or the cluster did not hear the driver for 15 s: its tasks were cancelled, its actors and objects freed): the driver gave its cluster up, so its pending and later gets, waits and actor calls fail. Connect a new driver (Ray.InitAsync).");

    /// <summary>The message when the node the driver connected through is gone (its port refuses connections).</summary>
    internal static string GoneMessage(string address) => string.Create(CultureInfo.InvariantCulture,
        $"The OrleansRay node at {address}, through which this driver connected, is gone (its port refuses connections: it was stopped or killed): the driver gave its cluster up, so its pending and later gets, waits and actor calls fail. A driver lives and dies with the node it connects through (its object store and gateway), as Ray's driver with its raylet. If the cluster's other nodes run on, connect a new driver (Ray.InitAsync) through one of them, the head's address (`orleansray status` prints it); else start the cluster again (`orleansray start --head`).");

    /// <summary>True when a TCP connection to <paramref name="endpoint"/> is refused (nothing listens there); false when
    /// it is accepted, or times out, or fails otherwise (a paused or unreachable node: only the timeout tells).</summary>
    internal static async Task<bool> RefusesAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(1));
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            return false;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode == SocketError.ConnectionRefused;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Checked a few times per timeout (at most every second), so the driver gives up soon after it has passed.
        var period = TimeSpan.FromTicks(Math.Clamp(Timeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(period);
        var refusals = 0;
        var longestSilence = TimeSpan.Zero;
        var jobCheckedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var tickedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_runtime.IsDisposed)
                {
                    return;
                }

                // A gap between two ticks is this process's own silence (it was paused): the view may refresh before
                // the first tick after it, and the silence must still count (else only the 10 s job poll notices).
                var gap = System.Diagnostics.Stopwatch.GetElapsedTime(tickedAt);
                tickedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                if (gap > longestSilence && gap >= JobCheckAfter)
                {
                    longestSilence = gap;
                }

                var last = _runtime.Cluster.Refresh.LastRefreshedUtc;
                var silent = DateTime.UtcNow - (last > _started ? last : _started);
                if (silent > Timeout)
                {
                    Lose(LostMessage(_address, silent));
                    return;
                }

                if (silent > longestSilence)
                {
                    longestSilence = silent;
                }
                else if (longestSilence >= JobCheckAfter && silent < GoneCheckAfter)
                {
                    // The view refreshes again after a long silence: the cluster may have ended this driver's job.
                    var was = longestSilence;
                    longestSilence = TimeSpan.Zero;
                    if (await JobEndedAsync().ConfigureAwait(false))
                    {
                        Lose(JobEndedMessage(_address, was));
                        return;
                    }
                }
                else if (silent < GoneCheckAfter)
                {
                    longestSilence = TimeSpan.Zero;
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(jobCheckedAt) >= JobCheckEvery)
                    {
                        jobCheckedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                        if (await JobEndedAsync().ConfigureAwait(false))
                        {
                            Lose(JobEndedWhileConnectedMessage(_address));
                            return;
                        }
                    }
                }

                if (_gateway is null || silent <= GoneCheckAfter)
                {
                    refusals = 0;
                }
                else if (!await RefusesAsync(_gateway, cancellationToken).ConfigureAwait(false))
                {
                    refusals = 0;
                }
                else if (++refusals >= RefusalsForGone)
                {
                    Lose(GoneMessage(_address));
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The driver is disposed.
        }
    }

    /// <summary>True when the job table lists this driver's job as ended; false while it runs, when the table has no
    /// row for it, or when asking fails (the next silence asks again).</summary>
    private async Task<bool> JobEndedAsync()
    {
        if (Volatile.Read(ref _leaving))
        {
            return false;
        }

        try
        {
            return await _runtime.GrainFactory.GetGrain<Grains.IJobTableGrain>(0).HasEndedAsync(_runtime.WorkerId.ToString())
                .WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false) && !Volatile.Read(ref _leaving);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    private void Lose(string message)
    {
        LogLost(_logger, message);
        _runtime.Node.MarkLost(RayError.Create(RayErrorKind.ClusterLost, message), () => new ClusterLostException(message));
        // Fails every object the driver owns with that error (pending gets, waits and actor calls end), stops its view
        // refreshes (and their retries) and refuses every later use.
        _runtime.Dispose();
    }

    /// <summary>The driver is ending its own job (its dispose has begun): its job ending is no news from here on.</summary>
    public void Leaving() => Volatile.Write(ref _leaving, true);

    private bool _leaving;

    /// <summary>Stops watching (the driver is disposed).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogLost(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Variable}={Value} is not a number of seconds from 5 up (less would give up a healthy cluster on a loaded machine); the driver waits {Seconds} s for a cluster that stopped answering.")]
    private static partial void LogBadTimeout(ILogger logger, string variable, string value, int seconds);
}
