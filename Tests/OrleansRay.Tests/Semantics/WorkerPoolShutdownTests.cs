using OrleansRay.Execution;
using Xunit;

namespace OrleansRay.Tests.Semantics;

/// <summary>Work handed to a worker pool after it shut down (a node stopping while leases and actor calls are still
/// being started) still runs, on the thread pool, instead of being lost or crashing the process.</summary>
public sealed class WorkerPoolShutdownTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Work_queued_after_dispose_runs_as_a_straggler()
    {
        var pool = new WorkerPool("shutdown-test", 1, 2);
        pool.Dispose();

        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = pool.Run(() =>
        {
            ran.TrySetResult(WorkerPool.IsWorkerThread);
            return Task.CompletedTask;
        });

        await work.WaitAsync(Deadline);
        Assert.False(await ran.Task.WaitAsync(Deadline), "a straggler runs on the thread pool, not on a worker thread of the disposed pool");
    }

    [Fact]
    public async Task Work_queued_before_and_after_dispose_all_runs()
    {
        var pool = new WorkerPool("shutdown-race", 1, 4);
        var count = 0;
        var runs = new List<Task>();
        for (var i = 0; i < 2000; i++)
        {
            if (i == 1000)
            {
                pool.Dispose();
            }

            runs.Add(pool.Run(() =>
            {
                Interlocked.Increment(ref count);
                return Task.CompletedTask;
            }));
        }

        await Task.WhenAll(runs).WaitAsync(Deadline);
        Assert.Equal(2000, Volatile.Read(ref count));
    }
}
