using OrleansRay.Tests.Actors;
using OrleansRay.TestGrainActors;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary>After <c>await ray.DisposeAsync()</c> every entry point of the IRay, of its refs and of its handles throws the
/// one clear <see cref="ObjectDisposedException"/> ("The OrleansRay node has shut down."), not Orleans' internals
/// (a disposed <c>ConcurrentObjectPool&lt;CopyContext&gt;</c> for a ref that had already arrived, a disposed
/// <c>IServiceProvider</c> for the cluster's resources).</summary>
public sealed class ShutDownTests
{
    private const string ShutDown = "The OrleansRay node has shut down.";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_ref_that_had_arrived_and_ClusterResourcesAsync_say_the_node_has_shut_down()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1, Namespace = "shut-down-refs" });
        ObjectRef<int> done, put, unread;
        try
        {
            done = ray.Task(Square, 7).Remote();
            Assert.Equal(49, await ray.GetAsync(done, Deadline)); // read: its value is complete (and held by the ref alone)
            put = await ray.PutAsync(5);
            Assert.Equal(5, await put);
            unread = ray.Task(Square, 3).Remote();
            await ray.WaitAsync([unread], timeout: Deadline); // complete, never read
        }
        finally
        {
            await ray.DisposeAsync();
        }

        await AssertShutDownAsync(async () => await done);
        await AssertShutDownAsync(async () => await done.ConfigureAwait(false));
        await AssertShutDownAsync(async () => await put);
        await AssertShutDownAsync(async () => await unread);
        await AssertShutDownAsync(() => ray.ClusterResourcesAsync());
    }

    [Fact]
    public async Task Every_main_IRay_method_and_handle_call_says_the_node_has_shut_down()
    {
        var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, Namespace = "shut-down-sweep" });
        ObjectRef<int> value;
        ObjectRef<double[]> array;
        ActorHandle<Counter> counter;
        ICounterActor grainActor;
        PlacementGroup group;
        try
        {
            value = await ray.PutAsync(1);
            array = await ray.PutAsync(new[] { 1.0, 2.0 });
            counter = ray.Actor(() => new Counter(0)).Options(new ActorOptions { Name = "sweep-counter" }).Remote();
            Assert.Equal(1, await ray.GetAsync(counter.Task(c => c.Increment()).Remote(), Deadline));
            grainActor = await ray.CreateActorAsync<ICounterActor>(new ActorOptions { Name = "sweep-grain" });
            Assert.Equal(1, await grainActor.Increment());
            group = await ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }]);
        }
        finally
        {
            await ray.DisposeAsync();
        }

        var calls = new (string Name, Func<Task> Call)[]
        {
            ("PutAsync", async () => await ray.PutAsync(2)),
            ("PutAsync(fill)", async () => await ray.PutAsync<int, int>(4, 0, static (span, _) => span.Clear())),
            ("GetAsync(ref)", async () => await ray.GetAsync(value)),
            ("GetAsync(ref, timeout)", async () => await ray.GetAsync(value, Deadline)),
            ("GetAsync(refs)", () => ray.GetAsync([value])),
            ("GetAsync(refs, timeout)", () => ray.GetAsync([value], Deadline)),
            ("WaitAsync", () => ray.WaitAsync([value])),
            ("CancelAsync", () => ray.CancelAsync(value)),
            ("GetBufferAsync", async () => (await ray.GetBufferAsync(array)).Dispose()),
            ("GetActorAsync", () => ray.GetActorAsync<Counter>("sweep-counter")),
            ("KillAsync(handle)", () => ray.KillAsync(counter)),
            ("CreateActorAsync", () => ray.CreateActorAsync<ICounterActor>()),
            ("GetActorProxyAsync", () => ray.GetActorProxyAsync<ICounterActor>("sweep-grain")),
            ("KillAsync(IActor)", () => ray.KillAsync(grainActor)),
            ("GrainFactory", () => Task.FromResult(ray.GrainFactory)),
            ("CreatePlacementGroupAsync", () => ray.CreatePlacementGroupAsync([new Bundle { ["CPU"] = 1 }])),
            ("RemovePlacementGroupAsync", () => ray.RemovePlacementGroupAsync(group)),
            ("ClusterResourcesAsync", () => ray.ClusterResourcesAsync()),
            ("AvailableResourcesAsync", () => ray.AvailableResourcesAsync()),
            ("NodesAsync", () => ray.NodesAsync()),
            ("PendingDemandsAsync", () => ray.PendingDemandsAsync()),
            ("RequestResourcesAsync", () => ray.RequestResourcesAsync(numCpus: 1)),
            ("State.ListNodesAsync", () => ray.State.ListNodesAsync()),
            ("State.ListActorsAsync", () => ray.State.ListActorsAsync()),
            ("State.GetActorAsync", () => ray.State.GetActorAsync(counter.ActorId.ToString())),
            ("State.SummarizeTasksAsync", () => ray.State.SummarizeTasksAsync()),
            ("State.MemoryAsync", () => ray.State.MemoryAsync()),
            ("Task(...).Remote()", () => Task.FromResult(ray.Task(Square, 2).Remote())),
            ("Actor(...).Remote()", () => Task.FromResult(ray.Actor(() => new Counter(0)).Remote())),
            ("handle.Task(...).Remote()", () => Task.FromResult(counter.Task(c => c.Increment()).Remote())),
        };

        var wrong = new List<string>();
        foreach (var (name, call) in calls)
        {
            var thrown = await Record.ExceptionAsync(call);
            if (thrown is not ObjectDisposedException { Message: var message } || message != ShutDown)
            {
                wrong.Add($"{name}: {thrown?.GetType().FullName ?? "no exception"}: {thrown?.Message}");
            }
        }

        Assert.True(wrong.Count == 0, "After DisposeAsync these did not throw ObjectDisposedException(\"" + ShutDown + "\"):\n  " + string.Join("\n  ", wrong));
        Assert.Equal("shut-down-sweep", ray.Namespace); // plain values still answer
    }

    private static async Task AssertShutDownAsync(Func<Task> call)
    {
        var thrown = await Assert.ThrowsAsync<ObjectDisposedException>(call);
        Assert.Equal(ShutDown, thrown.Message); // one sentence: no "Object name: 'NodeRuntime'" of an internal type
    }
}
