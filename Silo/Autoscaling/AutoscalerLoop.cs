using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansRay.Node;
using OrleansRay.Silo.Autoscaling.Providers;
using OrleansRay.Silo.Cli;
using OrleansRay.Silo.Hosting;

namespace OrleansRay.Silo.Autoscaling;

/// <summary>The autoscaler on the head (<c>orleansray start --head --autoscaling-config FILE</c>, what <c>orleansray up</c>
/// runs): an <see cref="Autoscaler"/> round every <see cref="Period"/>, from the silo's start to its stop. When the head
/// stops, the workers the local provider started stop with it.</summary>
internal sealed partial class AutoscalerLoop : BackgroundService
{
    /// <summary>Time between rounds (Ray's monitor updates every 5 s; nodes report every second here).</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    private readonly Autoscaler _autoscaler;
    private readonly INodeProvider _provider;
    private readonly ILogger<AutoscalerLoop> _logger;
    private string? _lastError;

    public AutoscalerLoop(Autoscaler autoscaler, INodeProvider provider, ILogger<AutoscalerLoop> logger)
    {
        _autoscaler = autoscaler;
        _provider = provider;
        _logger = logger;
    }

    /// <summary>The loop of the head <paramref name="settings"/> describes, for the config at <paramref name="configPath"/>.</summary>
    /// <exception cref="ClusterConfigException">The file is no longer a valid cluster config.</exception>
    public static AutoscalerLoop Create(NodeSettings settings, string configPath, IServiceProvider services)
    {
        var config = ClusterConfigLoader.Load(configPath);
        var stopMarker = LocalNodeProvider.StopMarkerOf(settings.Session);
        INodeProvider provider = config.Provider switch
        {
            LocalProviderConfig local => new LocalNodeProvider(new LocalLaunchSettings(
                settings.Address,
                settings.Storage is null ? string.Create(CultureInfo.InvariantCulture, $"{settings.NodeIpAddress}:{settings.NodePort}") : null,
                OptionValues.NodeAddress(local.NodeIpAddress),
                settings.Session,
                CliPaths.Current,
                settings.Load,
                settings.Storage,
                settings.Credentials?.Token)),
            KubernetesProviderConfig kubernetes => new KubernetesNodeProvider(KubernetesApi.Create(kubernetes), kubernetes, config.WorkerTypes[0].Name),
            _ => throw new InvalidOperationException($"No node provider for provider type '{config.Provider.Type}'."),
        };
        var runtime = services.GetRequiredService<NodeRuntime>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var autoscaler = new Autoscaler(
            config,
            provider,
            new GrainHeadState(services.GetRequiredService<IGrainFactory>()),
            runtime.NodeId.Value,
            loggers.CreateLogger("OrleansRay.Autoscaler"),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            () => File.Exists(stopMarker));
        return new AutoscalerLoop(autoscaler, provider, loggers.CreateLogger<AutoscalerLoop>());
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted((int)Period.TotalSeconds);
        using var timer = new PeriodicTimer(Period);
        try
        {
            do
            {
                try
                {
                    await _autoscaler.RunRoundAsync(stoppingToken).ConfigureAwait(false);
                    _lastError = null;
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
                {
                    // Logged once per distinct error (the table may not be active yet right after the silo starts).
                    var error = $"{ex.GetType().Name}: {ex.Message}";
                    if (error != _lastError)
                    {
                        LogRoundFailed(ex, error);
                        _lastError = error;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // The head is stopping.
        }
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_provider is IAsyncDisposable disposable)
        {
            // Local workers are this head's children: they stop with it (`orleansray down` stops them first anyway).
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Autoscaler started: a round every {Seconds} s")]
    private partial void LogStarted(int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Autoscaler round failed ({Error}); trying again next round")]
    private partial void LogRoundFailed(Exception ex, string error);
}
