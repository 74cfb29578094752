using OrleansRay.Tests.Functions;
using Xunit;
using static OrleansRay.Tests.Functions.TestFunctions;

namespace OrleansRay.Tests;

/// <summary><c>ObjectRef&lt;T&gt;.AsTask()</c>: the ref's value as a <see cref="Task{TResult}"/>, for what takes a task
/// (<c>WaitAsync(timeout)</c>, <c>Task.WhenAny</c>), with every failure in the task. Each test starts its own driver
/// and disposes it.</summary>
public sealed class ObjectRefAsTaskTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AsTask_gives_the_value_to_WaitAsync_and_WhenAny()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 2 });
        var gate = Guid.NewGuid().ToString("N");

        var slow = ray.Task(WaitForGate, gate).Remote().AsTask();
        var fast = ray.Task(Square, 4).Remote().AsTask();
        Assert.Same(fast, await Task.WhenAny(slow, fast).WaitAsync(Deadline)); // the slow one waits at its gate
        Assert.Equal(16, await fast);
        Assert.False(slow.IsCompleted);

        Gates.Get(gate).Set();
        Assert.Equal(1, await slow.WaitAsync(Deadline));
    }

    [Fact]
    public async Task A_failed_task_faults_the_task_AsTask_returns()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1 });

        var failed = ray.Task(Throw, 7).Remote().AsTask();

        var error = await Assert.ThrowsAsync<RayTaskException>(() => failed.WaitAsync(Deadline));
        Assert.Contains("bad input 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsTask_of_a_ref_whose_driver_shut_down_returns_a_faulted_task_rather_than_throwing()
    {
        ObjectRef<int> read;
        await using (var ray = await Ray.InitAsync(new RayOptions { NumCpus = 1 }))
        {
            read = ray.Task(Square, 3).Remote();
            Assert.Equal(9, await read.AsTask().WaitAsync(Deadline));
        }

        var task = read.AsTask(); // no throw here: the failure is the task's, as an async method's would be
        await Assert.ThrowsAsync<ObjectDisposedException>(() => task);
    }
}
