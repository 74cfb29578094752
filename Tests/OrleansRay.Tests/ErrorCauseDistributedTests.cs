using System.Runtime.CompilerServices;
using OrleansRay.Tests.Fixtures;
using Xunit;

namespace OrleansRay.Tests;

/// <summary>What a task's error brings a driver from other nodes (Ray prints the remote traceback, causes included, and
/// names every task it went through): the original's inner exceptions, and the task or actor method that failed because
/// it awaited the failed result. Two nodes in this process and a connected driver, so every task runs away from the
/// driver, the original exception stays where it was thrown, and the failure crosses the wire as text; the nested tasks
/// run on different nodes.</summary>
public sealed class ErrorCauseDistributedTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private InProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync((2, null), (2, null));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Throws an exception with a cause. Not inlined: the tests look for it in the remote stack trace.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int ThrowWithInner()
    {
        try
        {
            throw new FormatException("inner cause");
        }
        catch (FormatException inner)
        {
            throw new InvalidOperationException("outer", inner);
        }
    }

    /// <summary>Runs <see cref="ThrowWithInner"/> on node <paramref name="node"/> and awaits it, so its failure is this
    /// task's too.</summary>
    public static async Task<int> CallsFailing(string node) =>
        await Ray.Current.Task(ThrowWithInner).Options(OnNode(node)).Remote();

    private static TaskOptions OnNode(string node) => new() { SchedulingStrategy = SchedulingStrategy.NodeAffinity(new NodeId(node)) };

    private static TaskOptions OnNode(InProcessCluster.Node node) => OnNode(node.NodeId.Value);

    [Fact]
    public async Task A_connected_driver_sees_the_cause_chain_of_a_task_that_threw_on_a_node()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

        var ex = await Assert.ThrowsAsync<RayTaskException>(async () =>
            await ray.GetAsync(ray.Task(ThrowWithInner).Options(OnNode(_cluster.Nodes[1])).Remote(), Deadline));

        Assert.Null(ex.InnerException); // the original stayed on its node
        Assert.Equal($"{nameof(ErrorCauseDistributedTests)}.{nameof(ThrowWithInner)}", ex.FunctionName);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Equal("outer", ex.OriginalMessage);
        Assert.Contains("---> System.FormatException: inner cause", ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowWithInner), ex.RemoteStackTrace, StringComparison.Ordinal);
        var text = ex.ToString();
        Assert.Contains("---> System.FormatException: inner cause", text, StringComparison.Ordinal);
        Assert.Contains(ex.RemoteStackTrace, ex.StackTrace, StringComparison.Ordinal);

        // Without the original, its type and base types still answer Is<T>() by name.
        Assert.True(ex.Is<InvalidOperationException>());
        Assert.True(ex.Is<SystemException>());
        Assert.False(ex.Is<FormatException>()); // the inner cause's type is not the failure's
        Assert.False(ex.Is<ArgumentException>());
    }

    /// <summary>Returns a value of a type Orleans has no codec for.</summary>
    public static PlainPoco ReturnsPlain() => new();

    [Fact]
    public async Task A_result_that_cannot_be_serialized_fails_as_an_ArgumentException_on_a_node_as_it_does_embedded()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

        var ex = await Assert.ThrowsAsync<RayTaskException>(async () =>
            await ray.GetAsync(ray.Task(ReturnsPlain).Options(OnNode(_cluster.Nodes[1])).Remote(), Deadline));

        // The node's store refuses the result; an embedded driver refuses it when it sends it back
        // (ErrorNamingTests.A_task_whose_result_cannot_be_serialized_fails_naming_the_function): the same type both ways.
        Assert.Equal(typeof(ArgumentException).FullName, ex.OriginalExceptionType);
        Assert.True(ex.Is<ArgumentException>());
        Assert.Contains(typeof(PlainPoco).FullName!, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_rethrown_by_a_task_on_another_node_names_both_tasks_and_keeps_the_thrower_and_its_type()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });

        var ex = await Assert.ThrowsAsync<RayTaskException>(async () =>
            await ray.GetAsync(ray.Task(CallsFailing, _cluster.Nodes[1].NodeId.Value).Options(OnNode(_cluster.Nodes[0])).Remote(), Deadline));

        // The thrower and its exception, as README promises (FunctionName, OriginalExceptionType, OriginalMessage)...
        Assert.Equal($"{nameof(ErrorCauseDistributedTests)}.{nameof(ThrowWithInner)}", ex.FunctionName);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Equal("outer", ex.OriginalMessage);
        // ...and the task that failed with it, in the message, the remote trace (with its frames) and ToString.
        Assert.Contains($"(rethrown by {nameof(ErrorCauseDistributedTests)}.{nameof(CallsFailing)})", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"--- rethrown by {nameof(ErrorCauseDistributedTests)}.{nameof(CallsFailing)} ---", ex.RemoteStackTrace, StringComparison.Ordinal);
        var rethrow = ex.RemoteStackTrace.IndexOf("--- rethrown by", StringComparison.Ordinal);
        Assert.Contains(nameof(CallsFailing), ex.RemoteStackTrace[(rethrow + 20)..], StringComparison.Ordinal); // its own frame
        Assert.True(ex.RemoteStackTrace.IndexOf("---> System.FormatException: inner cause", StringComparison.Ordinal) is >= 0 and var cause && cause < rethrow,
            ex.RemoteStackTrace);
        var text = ex.ToString();
        Assert.Contains(nameof(CallsFailing), text, StringComparison.Ordinal);
        Assert.Contains("---> System.FormatException: inner cause", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_rethrown_by_an_actor_method_names_the_method()
    {
        await using var ray = await Ray.InitAsync(new RayOptions { Address = _cluster.Address, AuthToken = _cluster.AuthToken });
        var actor = ray.Actor(() => new Rethrower()).Remote();

        var ex = await Assert.ThrowsAsync<RayTaskException>(async () =>
            await ray.GetAsync(actor.Task((a, node) => a.Await(node), _cluster.Nodes[1].NodeId.Value).Remote(), Deadline));

        Assert.Equal($"{nameof(ErrorCauseDistributedTests)}.{nameof(ThrowWithInner)}", ex.FunctionName);
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.OriginalExceptionType);
        Assert.Contains($"(rethrown by {nameof(Rethrower)}.{nameof(Rethrower.Await)})", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"--- rethrown by {nameof(Rethrower)}.{nameof(Rethrower.Await)} ---", ex.RemoteStackTrace, StringComparison.Ordinal);
        await ray.KillAsync(actor);
    }

    /// <summary>An actor whose method awaits a failing task on another node.</summary>
    public sealed class Rethrower
    {
        public async Task<int> Await(string node) => await CallsFailingDirectly(node);

        private static async Task<int> CallsFailingDirectly(string node) =>
            await Ray.Current.Task(ThrowWithInner).Options(OnNode(node)).Remote();
    }
}
