using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>An actor call's argument that lives in another node's store travels as where it is stored: the caller's
/// ref must keep it alive until the call has run, even when the caller drops that ref before the actor gets to it.</summary>
public sealed class ActorStoredArgumentTests : IAsyncLifetime
{
    private const int N = 300_000; // 2.4 MB: stored, far above the inline threshold

    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await InProcessCluster.StartAsync((2, null), (2, null));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static double[] Ones(int n) => Enumerable.Repeat(1.0, n).ToArray();

    /// <summary>An actor whose first call holds it until the test opens its gate (the nodes share this process).</summary>
    public sealed class Adder
    {
        public static readonly SemaphoreSlim Gate = new(0);

        public int Hold() => Gate.Wait(TimeSpan.FromSeconds(60)) ? 1 : 0;

        public double Sum(double[] values) => values.Sum();
    }

    [Fact]
    public async Task A_stored_argument_dropped_by_the_caller_before_the_actor_runs_the_call_still_reaches_it()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address });
        var (actorNode, maker) = (_cluster.Nodes[0], _cluster.Nodes[1]);
        var adder = ray.Actor(() => new Adder())
            .Options(new ActorOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(actorNode.NodeId) })
            .Remote();
        var held = adder.Task(a => a.Hold()).Remote();

        var sum = SumOfDroppedArgument(ray, adder, maker);
        // Once the actor's node has the call queued behind Hold, the caller has sent it (its argument as a location).
        await Eventually.TrueAsync(
            () => actorNode.Runtime.ActorServices.HostedActors.Snapshot().Any(a => a.PendingCalls >= 1),
            TimeSpan.FromSeconds(30),
            "the Sum call to be queued at the actor");
        for (var i = 0; i < 3; i++)
        {
            // Collect the dropped ref (its finalizer releases the caller's handle) while the call waits behind Hold.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Adder.Gate.Release();
        Assert.Equal(1, await ray.GetAsync(held, TimeSpan.FromSeconds(60)));
        Assert.Equal(N, await ray.GetAsync(sum, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Makes the argument on another node and passes it to the actor; the ref goes out of scope here.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static ObjectRef<double> SumOfDroppedArgument(IRay ray, ActorHandle<Adder> adder, InProcessCluster.Node maker)
    {
        var values = ray.Task(Ones, N).Options(new TaskOptions { SchedulingStrategy = SchedulingStrategy.NodeAffinity(maker.NodeId) }).Remote();
        return adder.Task((a, v) => a.Sum(v), values).Remote();
    }
}
