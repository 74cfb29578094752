using OrleansRay.Code;
using OrleansRay.Ownership;

namespace OrleansRay.Execution;

/// <summary>Runs a streaming generator task's function to its end (Ray's generator tasks): each item it yields goes to
/// the task's <see cref="IGeneratorSink"/> as it is produced, and the task's own result is the number of items.</summary>
/// <remarks>
/// The compiled invoker of a function returning <see cref="IAsyncEnumerable{T}"/> or <see cref="IEnumerable{T}"/> calls
/// <see cref="FromAsyncEnumerable{T}"/> / <see cref="FromEnumerable{T}"/> with what the function returned: when the
/// running task is a generator (its <see cref="TaskContext.Generator"/> is set) the items are driven here, on the task's
/// worker and under its lease; otherwise the enumerable is the task's value, as before.
/// Before each item the producer waits for room (backpressure), so it never runs ahead of the consumer by more than the
/// bound; a cancelled task stops asking for items and disposes the enumerator (its <c>finally</c> blocks run).
/// </remarks>
internal static class GeneratorRunner
{
    public static ValueTask<object?> FromAsyncEnumerable<T>(IAsyncEnumerable<T> items)
    {
        if (TaskContext.Current is not { Generator: { } sink } context)
        {
            return new ValueTask<object?>(items);
        }

        ArgumentNullException.ThrowIfNull(items);
        return RunAsync(items, sink, context.CancellationToken, CodeScope.Current, context.FunctionName);
    }

    public static ValueTask<object?> FromEnumerable<T>(IEnumerable<T> items)
    {
        if (TaskContext.Current is not { Generator: { } sink } context)
        {
            return new ValueTask<object?>(items);
        }

        ArgumentNullException.ThrowIfNull(items);
        return RunAsync(Async(items), sink, context.CancellationToken, CodeScope.Current, context.FunctionName);
    }

#pragma warning disable CS1998 // an async iterator over a synchronous one: no awaits of its own
    private static async IAsyncEnumerable<T> Async<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            yield return item;
        }
    }
#pragma warning restore CS1998

    private static async ValueTask<object?> RunAsync<T>(IAsyncEnumerable<T> items, IGeneratorSink sink, CancellationToken cancellationToken, JobSerializer? code, string functionName)
    {
        var index = 0;
        var enumerator = items.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!await sink.WaitForRoomAsync(index, cancellationToken).ConfigureAwait(true))
                {
                    break; // the consumer is gone
                }

                if (!await enumerator.MoveNextAsync().ConfigureAwait(true))
                {
                    break;
                }

                object? value = enumerator.Current;
                if (code is not null)
                {
                    value = code.Pack(value, $"item {index} of {functionName}");
                }

                sink.Yield(index, value);
                index++;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(true);
        }

        return index;
    }
}
