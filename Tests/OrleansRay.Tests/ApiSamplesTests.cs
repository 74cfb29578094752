using Xunit;

namespace OrleansRay.Tests;

/// <summary>The code blocks of API.md (sections Start, Tasks, Objects, Actors, Cluster state) as written, run against
/// an embedded node. If API.md's shapes drift from the code, this file stops compiling.</summary>
public sealed class ApiSamplesTests
{
    private static int Square(int x) => x * x;

    private static double[] Zeros(int n) => new double[n];

    private static async Task<double> Dot(double[] a, double[] b)
    {
        await Task.Yield();
        return a.Zip(b, (p, q) => p * q).Sum();
    }

    public sealed class Counter
    {
        private int _n;

        public Counter(int start) => _n = start;

        public int Increment() => ++_n;

        public int Add(int k) => _n += k;

        public async Task<int> SlowGet()
        {
            await Task.Delay(10);
            return _n;
        }
    }

    [Fact]
    public async Task Start_section_runs_as_written()
    {
        await using (IRay ray = await Ray.InitAsync())
        {
            IRay current = Ray.Current;
            Assert.Same(ray, current);
        }

        await using (IRay ray = await Ray.InitAsync(new RayOptions
        {
            NumCpus = 4,                       // default: Environment.ProcessorCount
            NumGpus = 0,
            Resources = { ["accel"] = 2 },     // custom resources of this node
            ObjectStoreMemory = 512L << 20,    // bytes of shared memory for the object store
        }))
        {
            Assert.Equal(4, (await ray.ClusterResourcesAsync())["CPU"]);
        }
    }

    [Fact]
    public async Task Tasks_objects_actors_and_cluster_state_sections_run_as_written()
    {
        await using IRay ray = await Ray.InitAsync(new RayOptions { NumCpus = 4, Resources = { ["accel"] = 2 } });

        // Tasks
        ObjectRef<int> a = ray.Task(Square, 3).Remote();
        ObjectRef<int> b = ray.Task(Square, a).Remote();   // an ObjectRef argument is resolved to its value first
        int v = await ray.GetAsync(b);                      // 81
        int[] both = await ray.GetAsync(new[] { a, b });    // order of the input
        int w = await b;                                    // ObjectRef<T> is awaitable: the same as GetAsync
        Assert.Equal(81, v);
        Assert.Equal(new[] { 9, 81 }, both);
        Assert.Equal(81, w);

        ObjectRef<int> c = ray.Task(Square, 3)
            .Options(new TaskOptions { NumCpus = 2, NumGpus = 0, Resources = { ["accel"] = 1 },
                                       MaxRetries = 3, RetryExceptions = true, Name = "square" })
            .Remote();
        Assert.Equal(9, await c);
        Assert.Equal(0.0, await ray.Task(Dot, ray.Task(Zeros, 3).Remote(), ray.Task(Zeros, 3).Remote()).Remote());

        // Objects
        ObjectRef<double[]> r = await ray.PutAsync(new double[10_000_000]);
        double[] back = await ray.GetAsync(r);
        int x = await ray.GetAsync(a, TimeSpan.FromSeconds(1));        // GetTimeoutException if not ready in time
        Assert.Equal(10_000_000, back.Length);
        Assert.Equal(9, x);

        var refs = new[] { a, b, c };
        var (ready, notReady) = await ray.WaitAsync(refs, numReturns: 2, timeout: TimeSpan.FromSeconds(1));
        Assert.Equal(2, ready.Count);
        _ = Assert.Single(notReady);

        await ray.CancelAsync(a);               // queued or running: reading it throws TaskCancelledException
        await ray.CancelAsync(a, force: true);  // also abandons a running attempt
        Assert.Equal(9, await a);               // a had finished already: cancelling a finished task changes nothing

        using (ObjectBuffer<double> view = await ray.GetBufferAsync<double>(r))
        {
            ReadOnlySpan<double> span = view.Span;   // pinned in the store until disposed
            Assert.Equal(10_000_000, span.Length);
        }

        // Actors
        ActorHandle<Counter> counter = ray.Actor(() => new Counter(0)).Remote();
        ObjectRef<int> one = counter.Task(x => x.Increment()).Remote();
        ObjectRef<int> six = counter.Task((x, k) => x.Add(k), 5).Remote();     // values or ObjectRefs, as for tasks
        int n = await counter.Task(x => x.SlowGet()).Remote();
        Assert.Equal((1, 6, 6), (await one, await six, n));

        ActorHandle<Counter> named = ray.Actor(() => new Counter(0))
            .Options(new ActorOptions { Name = "counter", Lifetime = ActorLifetime.Detached,
                                        NumCpus = 1, Resources = { ["accel"] = 1 },
                                        MaxRestarts = 2, MaxTaskRetries = 1, MaxConcurrency = 1 })
            .Remote();
        ActorHandle<Counter> same = await ray.GetActorAsync<Counter>("counter"); // ActorNotFoundException if none
        Assert.Equal(named.ActorId, same.ActorId);
        await ray.KillAsync(counter);                 // later calls throw ActorDiedException
        await ray.KillAsync(named, noRestart: false); // restarts it if MaxRestarts allows
        await Assert.ThrowsAsync<ActorDiedException>(async () => await counter.Task(x => x.Increment()).Remote());
        Assert.Equal(1, await named.Task(x => x.Increment()).Remote());

        // Cluster state
        IReadOnlyDictionary<string, double> total = await ray.ClusterResourcesAsync();   // "CPU", "GPU", "memory", "object_store_memory", custom
        IReadOnlyDictionary<string, double> free = await ray.AvailableResourcesAsync();
        IReadOnlyList<NodeInfo> nodes = await ray.NodesAsync();                         // Id, Address, IsAlive, Resources
        IReadOnlyList<ResourceDemand> pending = await ray.PendingDemandsAsync();         // shape, count, IsInfeasible
        Assert.Equal(4, total["CPU"]);
        Assert.True(free["accel"] <= 2);
        Assert.True(nodes.Single().IsAlive);
        Assert.True(nodes.Single().IsHeadNode); // the embedded node is the head
        Assert.DoesNotContain(pending, d => d.IsInfeasible);
    }
}
