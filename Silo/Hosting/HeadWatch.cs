using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.Node;

namespace OrleansRay.Silo.Hosting;

/// <summary>A worker of a cluster without <c>--storage</c> exits, with a clear line in its log, once it has lost the
/// head: nothing from the node table for <see cref="DefaultLostAfter"/> (60 s), or the seconds in
/// <c>ORLEANSRAY_HEAD_RECONNECT_TIMEOUT_S</c> (<see cref="LostAfterVariable"/>, Ray's
/// <c>RAY_gcs_rpc_server_reconnect_timeout_s</c>).</summary>
/// <remarks>
/// Without storage the head is the membership primary: the membership table lives in the head's memory. A head that
/// is killed takes the table with it, and a head restarted on the same port starts a new, empty cluster that has never
/// heard of this worker; Orleans on the worker keeps probing the old one (and logging it, many lines a second) and can
/// never rejoin. Exiting is the honest answer: the worker is started again with <c>orleansray start --address</c>
/// (a cluster on PostgreSQL, <c>--storage</c>, survives its head instead).
/// </remarks>
internal sealed partial class HeadWatch : BackgroundService
{
    /// <summary>How long a worker may go without a word from the head's node table (its runtime asks every 0.3 s): 60 s,
    /// Ray's <c>gcs_rpc_server_reconnect_timeout_s</c>, so a head that is only paused (a long GC, a stopped process, an
    /// overloaded machine) is waited for; a dead head cannot be told from a paused one sooner.</summary>
    public static readonly TimeSpan DefaultLostAfter = TimeSpan.FromSeconds(60);

    /// <summary>The environment variable that sets how long a worker waits for a silent head, in seconds (a positive
    /// number; anything else keeps <see cref="DefaultLostAfter"/> and logs a warning). The same variable connected
    /// drivers read (<see cref="OrleansRay.Hosting.ClusterLossWatch.TimeoutVariable"/>): one name, defined once.</summary>
    public const string LostAfterVariable = OrleansRay.Hosting.ClusterLossWatch.TimeoutVariable;

    private static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    private readonly NodeRuntime _runtime;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<HeadWatch> _logger;
    private readonly string _headAddress;
    private readonly TimeSpan _lostAfter;

    /// <summary>Watches <paramref name="runtime"/>'s exchanges with the head; stops the node through
    /// <paramref name="lifetime"/> when they have stopped for the time <see cref="LostAfterVariable"/> sets (default
    /// <see cref="DefaultLostAfter"/>).</summary>
    /// <param name="runtime">The node's runtime (its cluster view says when the head last answered).</param>
    /// <param name="lifetime">Stops the node.</param>
    /// <param name="logger">Where the line saying why goes (the node's log).</param>
    /// <param name="headAddress">The head's client address the worker joined through, for the message.</param>
    public HeadWatch(NodeRuntime runtime, IHostApplicationLifetime lifetime, ILogger<HeadWatch> logger, string headAddress)
    {
        _runtime = runtime;
        _lifetime = lifetime;
        _logger = logger;
        _headAddress = headAddress;
        var text = Environment.GetEnvironmentVariable(LostAfterVariable);
        _lostAfter = DefaultLostAfter;
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2)
            {
                _lostAfter = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                LogBadLostAfter(LostAfterVariable, text, (int)DefaultLostAfter.TotalSeconds);
            }
        }
    }

    /// <summary>True once this process decided the head is lost (the node then exits with code 1).</summary>
    public static bool HeadLost { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckPeriod);
        // The silo has just started (hosted services start in order): the watch counts from now at the earliest.
        var watching = DateTime.UtcNow;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var last = _runtime.Cluster.Refresh.LastRefreshedUtc;
                var silent = DateTime.UtcNow - (last > watching ? last : watching);
                if (silent > _lostAfter)
                {
                    HeadLost = true;
                    LogHeadLost(_headAddress, (int)silent.TotalSeconds);
                    _lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Variable}={Value} is not a positive number of seconds; the worker waits {Seconds} s for a silent head.")]
    private partial void LogBadLostAfter(string variable, string value, int seconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Lost the head at {HeadAddress}: no answer from it for {Seconds} s (it was stopped, killed or restarted). Without --storage the head holds the cluster's membership, so this worker cannot rejoin it and exits now. Start it again with `orleansray start --address {HeadAddress}` once the head is up (a cluster started with --storage PostgreSQL survives its head).")]
    private partial void LogHeadLost(string headAddress, int seconds);
}
