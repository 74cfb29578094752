using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRay.Grains;
using OrleansRay.Node;
using OrleansRay.Tests.Actors;
using OrleansRay.Tests.Fixtures;
using OrleansRay.Tests.Functions;
using OrleansRay.Tests.Interop;
using OrleansRay.Tests.Processes;
using Xunit;

namespace OrleansRay.Tests.Hosting;

/// <summary><c>UseOrleansRay</c> in a plain Generic Host, as an existing Orleans application adds OrleansRay to its
/// silo: the application's own grain and Ray's tasks and actors in one silo, the driver from the host's services, and
/// options checked at start. Each test builds its own host and stops and disposes it, also when it fails.</summary>
public sealed class UseOrleansRayTests
{
    /// <summary>Bounds every start and stop, so a broken host fails the test instead of hanging it.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task UseOrleansRay_hosts_a_node_next_to_the_applications_own_grain()
    {
        await using var app = new TestHost(BuildHost(node =>
        {
            node.NumCpus = 2;
            node.Resources["accel"] = 1;
            node.ObjectStoreMemory = 64L << 20;
        }));
        await app.StartAsync();

        // The application's grain works as before.
        var visits = app.Services.GetRequiredService<IGrainFactory>().GetGrain<IVisitCounterGrain>("home");
        Assert.Equal(1, await visits.VisitAsync());
        Assert.Equal(2, await visits.VisitAsync());

        // The node, through the application's driver: one per host.
        var ray = app.Services.GetRequiredService<IRay>();
        Assert.Same(ray, app.Services.GetRequiredService<IRay>());
        var nine = ray.Task(TestFunctions.Square, 3).Remote();
        Assert.Equal(81, await ray.Task(TestFunctions.Square, nine).Remote());
        var counter = ray.Actor(() => new Counter(10)).Remote();
        Assert.Equal(11, await counter.Task(c => c.Increment()).Remote());
        Assert.Equal(16, await counter.Task((c, k) => c.Add(k), 5).Remote());

        // The node has the resources asked for, and its object store runs in this process: a large array is read
        // without a copy from the store's shared memory.
        var total = await ray.ClusterResourcesAsync();
        Assert.Equal(2, total["CPU"]);
        Assert.Equal(1, total["accel"]);
        Assert.Equal(64L << 20, total["object_store_memory"]);
        var large = await ray.PutAsync(Enumerable.Range(0, 100_000).Select(i => (double)i).ToArray());
        using (var view = await ray.GetBufferAsync<double>(large))
        {
            Assert.Equal(100_000, view.Span.Length);
            Assert.Equal(99_999, view.Span[^1]);
        }

        // The driver is a job of the cluster, embedded in the node's process.
        var jobs = app.Services.GetRequiredService<IGrainFactory>().GetGrain<OrleansRay.Grains.IJobTableGrain>(0);
        await Eventually.TrueAsync(
            async () => (await jobs.ListAsync()).Any(j => j.Embedded && j.State == JobState.Running && j.Namespace == "default"),
            Deadline,
            "the application's driver has a running job");
    }

    [Fact]
    public async Task The_hosted_driver_its_tasks_and_actors_reach_the_applications_own_grain()
    {
        await using var app = new TestHost(BuildHost(node => node.NumCpus = 2));
        await app.StartAsync();
        var ray = app.Services.GetRequiredService<IRay>();
        var page = "page-" + Guid.NewGuid().ToString("N")[..8];

        // The driver's grain factory and the application's own reach the same activation.
        Assert.Equal(1, await ray.GrainFactory.GetGrain<IVisitCounterGrain>(page).VisitAsync());
        Assert.Equal(2, await app.Services.GetRequiredService<IGrainFactory>().GetGrain<IVisitCounterGrain>(page).VisitAsync());
        Assert.Equal(3, await ray.GetAsync(ray.Task(GrainCallers.Visit, page).Remote(), Deadline));
        var clerk = ray.Actor(() => new Clerk()).Remote();
        Assert.Equal(4, await ray.GetAsync(clerk.Task((c, p) => c.Visit(p), page).Remote(), Deadline));
    }

    [Fact]
    public async Task A_service_of_the_application_gets_the_driver_injected_and_uses_it_once_the_silo_is_up()
    {
        // Resolved while the host starts (before the silo is up); the service runs a task in its own StartAsync, which
        // the host calls after the silo's.
        await using var app = new TestHost(BuildHost(
            node => node.NumCpus = 1,
            services => services.AddSingleton<SquaringService>().AddHostedService(sp => sp.GetRequiredService<SquaringService>())));
        await app.StartAsync();

        Assert.Equal(49, app.Services.GetRequiredService<SquaringService>().Result);
    }

    [Theory]
    [InlineData("negative CPUs", "RayNodeOptions.NumCpus is -1")]
    [InlineData("a reserved resource name", "RayNodeOptions.Resources[\"CPU\"]: set CPU with its own option")]
    [InlineData("an object store below the minimum", "give 0 (no object store) or at least 33554432 bytes (32 MiB)")]
    [InlineData("an empty namespace", "RayNodeOptions.Namespace is empty")]
    public async Task Invalid_options_fail_the_start_with_the_validators_message(string what, string message)
    {
        Action<RayNodeOptions> configure = what switch
        {
            "negative CPUs" => node => node.NumCpus = -1,
            "a reserved resource name" => node => node.Resources["CPU"] = 2,
            "an object store below the minimum" => node => node.ObjectStoreMemory = 10,
            "an empty namespace" => node => node.Namespace = " ",
            _ => throw new ArgumentOutOfRangeException(nameof(what), what, "unknown case"),
        };
        await using var app = new TestHost(BuildHost(configure));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(app.StartAsync);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseOrleansRay_twice_adds_one_node_and_applies_both_configurations()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(TestPorts.Free(), TestPorts.Free(), serviceId: "use-orleansray", clusterId: UniqueClusterId());
            silo.UseOrleansRay(node => node.NumCpus = 3);
            silo.UseOrleansRay(node => node.Resources["accel"] = 2);
            silo.UseOrleansRay();
        });

        Assert.Single(builder.Services, s => s.ServiceType == typeof(NodeRuntime));
        Assert.Single(builder.Services, s => s.ServiceType == typeof(IRay));
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptions<RayNodeOptions>>().Value;
        Assert.Equal(3, options.NumCpus);
        Assert.Equal(2, options.Resources["accel"]);
    }

    /// <summary>A plain Generic Host whose silo is an application's (localhost clustering on free ports) plus
    /// OrleansRay.</summary>
    [Fact]
    public async Task Application_grains_named_as_OrleansRays_own_are_hosted_beside_them()
    {
        // Before OrleansRay's grains had names of their own, an application's JobTableGrain failed the silo's start
        // ("An entry with the key jobtable is already present"), a reviewer's first try.
        await using var app = new TestHost(BuildHost(node => node.NumCpus = 1));
        await app.StartAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();

        Assert.Equal("the application's job table", await grains.GetGrain<IJobTableGrain>(0).DescribeAsync());
        Assert.Equal(3, await grains.GetGrain<IAutoscalerGrain>(0).TargetAsync());
        var ray = app.Services.GetRequiredService<IRay>();
        Assert.Equal(9, await ray.Task(TestFunctions.Square, 3).Remote());
        await Eventually.TrueAsync(
            async () => (await grains.GetGrain<OrleansRay.Grains.IJobTableGrain>(0).ListAsync()).Any(j => j.Embedded && j.State == JobState.Running),
            Deadline,
            "OrleansRay's own job table lists the application's driver");
    }

    [Fact]
    public async Task A_silo_whose_cluster_ids_drivers_cannot_join_says_so_at_start_and_one_whose_ids_they_join_does_not()
    {
        // A reviewer's hosted silo (UseLocalhostClustering: ClusterId "dev") timed out every connected driver and CLI
        // command with only "no OrleansRay cluster answers" to go on.
        var foreign = new RecordingLoggerProvider();
        await using (var app = new TestHost(BuildHost(node => node.NumCpus = 1, logs: foreign)))
        {
            await app.StartAsync();
        }

        var warning = Assert.Single(foreign.Warnings("connected drivers (RayOptions.Address) and the orleansray CLI connect to a cluster whose both ids are 'orleansray'"));
        Assert.Contains("ServiceId is 'use-orleansray'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("silo.Configure<ClusterOptions>", warning.Message, StringComparison.Ordinal);

        var joinable = new RecordingLoggerProvider();
        await using (var app = new TestHost(BuildHost(node => node.NumCpus = 1, logs: joinable, clusterId: "orleansray")))
        {
            await app.StartAsync();
        }

        Assert.Empty(joinable.Warnings("connected drivers (RayOptions.Address)"));
    }

    private static IHost BuildHost(Action<RayNodeOptions> configure, Action<IServiceCollection>? services = null, RecordingLoggerProvider? logs = null, string? clusterId = null)
    {
        // Development, as while writing an application: the container checks every registration when it is built.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(TestPorts.Free(), TestPorts.Free(), serviceId: clusterId ?? "use-orleansray", clusterId: clusterId ?? UniqueClusterId());
            silo.UseOrleansRay(configure);
        });
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        services?.Invoke(builder.Services);
        return builder.Build();
    }

    private static string UniqueClusterId() => "use-orleansray-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A host under test: <see cref="DisposeAsync"/> stops it if it started and disposes it, whatever happened.
    /// (A host whose start failed is only disposed: the Generic Host cannot stop one that failed before its services were
    /// made, as an options check at start does.)</summary>
    private sealed class TestHost(IHost host) : IAsyncDisposable
    {
        private bool _started;

        public IServiceProvider Services => host.Services;

        public async Task StartAsync()
        {
            await host.StartAsync().WaitAsync(Deadline);
            _started = true;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_started)
                {
                    using var stop = new CancellationTokenSource(Deadline);
                    await host.StopAsync(stop.Token);
                }
            }
            finally
            {
                host.Dispose();
            }
        }
    }

    /// <summary>An application service that takes the driver in its constructor and runs a task when it starts.</summary>
    private sealed class SquaringService(IRay ray) : IHostedService
    {
        public int Result { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken) =>
            Result = await ray.Task(TestFunctions.Square, 7).Remote();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
