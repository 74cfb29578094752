using OrleansRay.Node;
using OrleansRay.Placement;

namespace OrleansRay;

/// <summary>The public calls of a connected driver that ask the cluster's grains (placement groups, named actors, nodes,
/// the state API) as the driver's other calls fail when its cluster is gone: with <see cref="ClusterLostException"/>,
/// not with the Orleans exception a call made in the seconds before the driver gives the cluster up meets (a refused
/// connection, a node that became unavailable).</summary>
/// <remarks>A call still waiting for its answer when the driver gives the cluster up (<c>ClusterLossWatch</c>, which gives
/// a gone node up within about 3 s) throws the driver's <see cref="ClusterLostException"/> then, not when Orleans' 30 s
/// response timeout would end it. A call that fails as if the cluster were unreachable waits up to
/// <see cref="VerdictWait"/> for that verdict: the driver's <see cref="ClusterLostException"/> when it gives the
/// cluster up, otherwise the original exception (the cluster is still there, or only paused: its reconnect timeout has
/// not run out). Nodes' own calls and a cancellation are passed through as they are.</remarks>
internal static class ClusterCalls
{
    /// <summary>How long a failed call waits for the driver to decide whether its cluster is gone.</summary>
    public static readonly TimeSpan VerdictWait = TimeSpan.FromSeconds(5);

    /// <summary>Awaits <paramref name="call"/>, made by <paramref name="runtime"/>, translated as the class says.</summary>
    /// <exception cref="ClusterLostException">The call failed to reach the cluster, and the driver gave the cluster up.</exception>
    public static async Task<T> RunAsync<T>(NodeRuntime runtime, Task<T> call)
    {
        await RunAsync(runtime, (Task)call).ConfigureAwait(false);
        return call.Result; // completed: the wait above threw otherwise
    }

    /// <inheritdoc cref="RunAsync{T}(NodeRuntime, Task{T})"/>
    public static async Task RunAsync(NodeRuntime runtime, Task call)
    {
        try
        {
            await AnswerOrLossAsync(runtime, call).ConfigureAwait(false);
            await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (MayBeClusterLoss(runtime, ex))
        {
            await WaitForVerdictAsync(runtime).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Returns when <paramref name="call"/> completes; throws the driver's <see cref="ClusterLostException"/> if
    /// the driver gives its cluster up first (a connected driver's call only; the call is left to end on its own).</summary>
    private static async Task AnswerOrLossAsync(NodeRuntime runtime, Task call)
    {
        if (call.IsCompleted || runtime.CanExecute)
        {
            return;
        }

        var lost = runtime.Node.Lost;
        if (await Task.WhenAny(call, lost).ConfigureAwait(false) == lost)
        {
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default); // observed: nobody awaits it now
            runtime.Node.ThrowIfLost();
        }
    }

    /// <summary>True for a connected driver's call that failed to reach the cluster (not one cancelled by its caller).</summary>
    private static bool MayBeClusterLoss(NodeRuntime runtime, Exception ex) =>
        !runtime.CanExecute && ex is not OperationCanceledException && SendFailures.IsTransient(ex);

    /// <summary>Throws the driver's <see cref="ClusterLostException"/> once it gave the cluster up, waiting for that at
    /// most <see cref="VerdictWait"/>; returns when it did not.</summary>
    private static async Task WaitForVerdictAsync(NodeRuntime runtime)
    {
        var lost = runtime.Node.Lost;
        if (!lost.IsCompleted)
        {
            await Task.WhenAny(lost, Task.Delay(VerdictWait)).ConfigureAwait(false);
        }

        runtime.Node.ThrowIfLost();
    }
}
