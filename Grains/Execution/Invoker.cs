using OrleansRay.Code;

namespace OrleansRay.Execution;

/// <summary>The one way user code runs, for tasks and actor calls alike: inside its <see cref="TaskContext"/>, with the
/// synchronous fast path (a function that completes inline reports inline, no state machine, no allocation) and every
/// exception captured instead of escaping to the worker thread.</summary>
internal static class Invoker
{
    /// <summary>Runs <paramref name="function"/> on <paramref name="args"/> in <paramref name="context"/> and reports its
    /// outcome to <paramref name="complete"/> exactly once: <c>(state, value, null)</c> when it returned,
    /// <c>(state, null, exception)</c> when it threw. Synchronous completions report before this returns.</summary>
    /// <remarks>An exception thrown by <paramref name="complete"/> itself while it reports a value (a completion callback
    /// of the result failed) is reported again as the work's failure, so the worker loop that ran the work goes on to
    /// its next item; one thrown while reporting a failure propagates.</remarks>
    /// <typeparam name="TState">What the caller needs to finish the work (a task spec, an actor call).</typeparam>
    /// <param name="function">The function or method.</param>
    /// <param name="args">Its arguments (an actor's instance first).</param>
    /// <param name="context">The context the code runs in.</param>
    /// <param name="state">Passed to <paramref name="complete"/>.</param>
    /// <param name="complete">Reports the outcome.</param>
    /// <param name="resumeOnWorker">After an asynchronous function, report on the scheduler it ran on (a task's worker
    /// pool) rather than on the thread that completed it.</param>
    public static ValueTask InvokeAsync<TState>(CompiledFunction function, object?[] args, ITaskContextSource context, TState state, Action<TState, object?, Exception?> complete, bool resumeOnWorker = false) =>
        InvokeAsync(function, args, context, state, complete, out _, resumeOnWorker);

    /// <summary>As <see cref="InvokeAsync{TState}(CompiledFunction, object?[], ITaskContextSource, TState, Action{TState, object?, Exception?}, bool)"/>;
    /// <paramref name="runTicks"/> is how long the function itself ran (Stopwatch ticks, without the report of its
    /// outcome), or <see cref="long.MaxValue"/> when it awaited.</summary>
    public static ValueTask InvokeAsync<TState>(CompiledFunction function, object?[] args, ITaskContextSource context, TState state, Action<TState, object?, Exception?> complete, out long runTicks, bool resumeOnWorker = false)
    {
        var previous = TaskContext.Saved;
        TaskContext.Enter(context);
        // Job code runs in its job's scope (its values pack with the job's serializer); the node's own code in none. The
        // AsyncLocal is written only when it changes, so the node's own tasks pay one read.
        var code = function.Code;
        var previousCode = CodeScope.Current;
        if (previousCode != code)
        {
            CodeScope.Current = code;
        }

        code?.Started(); // a job's code is not unloaded while it runs

        ValueTask<object?> pending;
        Exception? failure = null;
        object? value = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            pending = function.InvokeAsync(args);
            runTicks = pending.IsCompleted ? System.Diagnostics.Stopwatch.GetTimestamp() - started : long.MaxValue;
            function.RecordRun(runTicks);
            if (pending.IsCompletedSuccessfully)
            {
                value = Result(pending.Result, code, context);
                pending = default;
            }
        }
        catch (Exception ex)
        {
            runTicks = System.Diagnostics.Stopwatch.GetTimestamp() - started; // it threw before it awaited
            failure = ex;
            pending = default;
        }
        finally
        {
            TaskContext.Restore(previous);
            if (previousCode != code)
            {
                CodeScope.Current = previousCode;
            }
        }

        if (pending == default)
        {
            code?.Ended();
            Report(complete, state, value, failure);
            return default;
        }

        return AwaitAsync(pending, code, context, state, complete, resumeOnWorker);
    }

    private static async ValueTask AwaitAsync<TState>(ValueTask<object?> pending, JobSerializer? code, ITaskContextSource context, TState state, Action<TState, object?, Exception?> complete, bool resumeOnWorker)
    {
        object? value;
        try
        {
            value = Result(await pending.ConfigureAwait(resumeOnWorker), code, context);
        }
        catch (Exception ex)
        {
            Report(complete, state, null, ex);
            return;
        }
        finally
        {
            // Job code's flow holds its context weakly (TaskContext.Current): this holds it until the code is done.
            GC.KeepAlive(context);
            code?.Ended();
        }

        Report(complete, state, value, null);
    }

    /// <summary>The result as it leaves the function: packed with its job's serializer (job code), and for work with
    /// several returns (Ray's <c>num_returns</c>) split into one value per return, each packed on its own.</summary>
    private static object? Result(object? value, JobSerializer? code, ITaskContextSource context)
    {
        if (context.NumReturns > 1)
        {
            var values = Ownership.ReturnValues.Split(value, context.NumReturns, context.FunctionName);
            if (code is not null)
            {
                for (var i = 0; i < values.Elements.Length; i++)
                {
                    values.Elements[i] = code.Pack(values.Elements[i], $"return {i + 1} of {context.FunctionName}");
                }
            }

            return values;
        }

        return code is null ? value : code.Pack(value, $"result of {context.FunctionName}");
    }

    private static void Report<TState>(Action<TState, object?, Exception?> complete, TState state, object? value, Exception? failure)
    {
        try
        {
            complete(state, value, failure);
        }
        catch (Exception ex) when (failure is null)
        {
            complete(state, null, ex);
        }
    }
}
