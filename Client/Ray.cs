using OrleansRay.Node;
using OrleansRay.Hosting;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>Starts or connects OrleansRay, like <c>ray.init()</c>.</summary>
public static class Ray
{
    private static readonly object Gate = new();
    private static readonly List<IRay> Drivers = new();

    /// <summary>Inside a task or class-actor method: the IRay of the node it runs on. In a driver: the IRay most recently
    /// initialized and not yet disposed. (Inside an <see cref="ActorGrain"/>, use its Ray property.)</summary>
    /// <exception cref="InvalidOperationException">Neither applies: call <see cref="InitAsync"/> first.</exception>
    public static IRay Current => CurrentOrNodeOfTask;

    internal static IRay CurrentOrNodeOfTask
    {
        get
        {
            if (TaskContext.Current is { } context)
            {
                return NodeRay.For((NodeRuntime)context.Host);
            }

            return LastDriver ?? throw new InvalidOperationException("No OrleansRay instance is running here. Call `await using var ray = await Ray.InitAsync();` first; inside an ActorGrain, use its Ray property.");
        }
    }

    /// <summary>Starts an embedded single-node cluster in this process (silo and object store; nothing else needed),
    /// or, with <see cref="RayOptions.Address"/>, connects to a running cluster.</summary>
    /// <remarks>The embedded node also hosts the application's ordinary Orleans grains, reached with
    /// <see cref="IRay.GrainFactory"/>: Orleans registers the grain classes of every assembly with Orleans-generated code
    /// that, when this is called, is loaded in the process or listed in the application's <c>.deps.json</c> (a test
    /// assembly under a test runner is found too). An assembly loaded later (a plug-in) is not: load it before calling
    /// this. A connected driver's grains are those of the cluster's nodes (<c>orleansray start --load</c>); a grain
    /// class only the driver has fails at <c>GetGrain</c> with an <see cref="ArgumentException"/> that says so.</remarks>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public static async Task<IRay> InitAsync(RayOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RayOptions();
        options.Validate();
        if (options.Address is not null)
        {
            var connected = await ConnectedCluster.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            var client = new RayDriver(connected.Runtime, options.Namespace, connected);
            await client.StartJobAsync(embedded: false, options.LogToDriver).ConfigureAwait(false);
            lock (Gate)
            {
                Drivers.Add(client);
            }

            return client;
        }

        var cluster = await EmbeddedCluster.StartAsync(options, cancellationToken).ConfigureAwait(false);
        var driver = new RayDriver(cluster.Runtime, options.Namespace, cluster);
        await driver.StartJobAsync(embedded: true).ConfigureAwait(false);
        lock (Gate)
        {
            Drivers.Add(driver);
        }

        return driver;
    }

    /// <summary>The driver most recently initialized and not yet disposed, or null.</summary>
    private static IRay? LastDriver
    {
        get
        {
            lock (Gate)
            {
                return Drivers.Count > 0 ? Drivers[^1] : null;
            }
        }
    }

    /// <summary>The runtime of the driver most recently initialized and not yet disposed, or null.</summary>
    internal static NodeRuntime? CurrentDriverRuntime => (LastDriver as RayInstance)?.Runtime;

    /// <summary>The job id of the driver most recently initialized and not yet disposed (<see cref="RayContext.JobId"/>
    /// outside tasks), or null.</summary>
    internal static string? CurrentDriverJobId => (LastDriver as RayDriver)?.JobId;

    internal static void Unregister(IRay driver)
    {
        lock (Gate)
        {
            Drivers.Remove(driver);
        }
    }
}
