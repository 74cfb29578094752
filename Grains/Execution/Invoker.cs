namespace OrleansRay.Execution;

/// <summary>The one way user code runs, for tasks and actor calls alike: inside its <see cref="TaskContext"/>, with the
/// synchronous fast path (a function that completes inline reports inline, no state machine, no allocation) and every
/// exception captured instead of escaping to the worker thread.</summary>
internal static class Invoker
{
    /// <summary>Runs <paramref name="function"/> on <paramref name="args"/> in <paramref name="context"/> and reports its
    /// outcome to <paramref name="complete"/> exactly once: <c>(state, value, null)</c> when it returned,
    /// <c>(state, null, exception)</c> when it threw. Synchronous completions report before this returns.</summary>
    /// <typeparam name="TState">What the caller needs to finish the work (a task spec, an actor call).</typeparam>
    public static ValueTask InvokeAsync<TState>(CompiledFunction function, object?[] args, TaskContext context, TState state, Action<TState, object?, Exception?> complete)
    {
        var previous = TaskContext.Current;
        TaskContext.Current = context;
        ValueTask<object?> pending;
        Exception? failure = null;
        object? value = null;
        try
        {
            pending = function.InvokeAsync(args);
            if (pending.IsCompletedSuccessfully)
            {
                value = pending.Result;
                pending = default;
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            pending = default;
        }
        finally
        {
            TaskContext.Current = previous;
        }

        if (pending == default)
        {
            complete(state, value, failure);
            return default;
        }

        return AwaitAsync(pending, state, complete);
    }

    private static async ValueTask AwaitAsync<TState>(ValueTask<object?> pending, TState state, Action<TState, object?, Exception?> complete)
    {
        object? value;
        try
        {
            value = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            complete(state, null, ex);
            return;
        }

        complete(state, value, null);
    }
}
