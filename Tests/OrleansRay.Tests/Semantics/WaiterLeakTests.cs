using OrleansRay.Tests.Functions;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Issue 9, case 10: a waiter that gives up (a zero-timeout poll, a cancelled wait) leaves nothing registered
/// on the objects it waited for, so polling a pending ref keeps the heap flat (Ray: flat).</summary>
/// <remarks>Runs alone (heap measurements). Each case polls a ref that stays pending throughout.</remarks>
[Collection(MemoryCollection.Name)]
public sealed class WaiterLeakTests
{
    /// <summary>Growth allowed over the measured polls. The fault kept one callback (~200 bytes) per poll: 59 MiB for
    /// 300,000 WaitAsync polls; a flat heap moves by well under 1 MiB.</summary>
    private const long BoundBytes = 8L << 20;

    public static IEnumerable<object[]> Waiters() => new[]
    {
        new object[] { "WaitAsync(timeout: 0)", 300_000 },
        new object[] { "WaitAsync(cancelled)", 100_000 },
        new object[] { "GetAsync(timeout: 0)", 100_000 },
        new object[] { "GetAsync(cancelled)", 100_000 },
        new object[] { "GetAsync(list, timeout: 0)", 100_000 },
        new object[] { "GetAsync(list, cancelled)", 100_000 },
    };

    [Theory]
    [MemberData(nameof(Waiters))]
    public async Task Giving_up_on_a_pending_ref_leaves_the_heap_flat(string waiter, int polls)
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2, ObjectStoreMemory = 0, Namespace = "waiters" });
        var gate = Guid.NewGuid().ToString();
        try
        {
            var pending = ray.Task(SemanticsFunctions.ReturnWhenGateOpens, gate, 1).Remote();
            var poll = Poller(ray, waiter, pending);

            await RunAsync(poll, 10_000); // warm up: JIT, pools, the timer queue
            var baseline = Settle();
            await RunAsync(poll, polls);
            var after = Settle();

            Assert.Empty((await ray.WaitAsync(new[] { pending }, 1, TimeSpan.Zero)).Ready);
            Assert.True(after - baseline < BoundBytes,
                $"{polls:N0} × {waiter} on a pending ref grew the heap by {(after - baseline) / (1 << 20)} MiB (bound {BoundBytes >> 20} MiB)");
        }
        finally
        {
            Gates.Get(gate).Set();
        }
    }

    private static Func<Task> Poller(IRay ray, string waiter, ObjectRef<int> pending)
    {
        var one = new[] { pending };
        return waiter switch
        {
            "WaitAsync(timeout: 0)" => async () => Assert.Empty((await ray.WaitAsync(one, 1, TimeSpan.Zero)).Ready),
            "WaitAsync(cancelled)" => () => CancelledAsync(token => ray.WaitAsync(one, 1, null, token)),
            "GetAsync(timeout: 0)" => () => TimesOutAsync(() => ray.GetAsync(pending, TimeSpan.Zero).AsTask()),
            "GetAsync(cancelled)" => () => CancelledAsync(token => ray.GetAsync(pending, token).AsTask()),
            "GetAsync(list, timeout: 0)" => () => TimesOutAsync(() => ray.GetAsync(one, TimeSpan.Zero)),
            "GetAsync(list, cancelled)" => () => CancelledAsync(token => ray.GetAsync(one, token)),
            _ => throw new ArgumentOutOfRangeException(nameof(waiter), waiter, null),
        };
    }

    private static Task TimesOutAsync(Func<Task> get) => Assert.ThrowsAsync<GetTimeoutException>(get);

    /// <summary>Starts a wait, then cancels it while it is registered.</summary>
    private static async Task CancelledAsync(Func<CancellationToken, Task> wait)
    {
        using var cts = new CancellationTokenSource();
        var waiting = wait(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    private static async Task RunAsync(Func<Task> poll, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await poll();
        }
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
