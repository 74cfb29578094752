namespace OrleansRay.Execution;

/// <summary>Turns a function's Task/ValueTask result into a ValueTask of the boxed value, synchronously when already done.
/// A non-generic <see cref="Task"/> or <see cref="ValueTask"/> gives <see cref="Unit"/> (Ray's None) once it completes.</summary>
internal static class ResultAdapters
{
    /// <summary>The result of a function that returns nothing, already complete: <see cref="Unit"/>, boxed once.</summary>
    public static readonly ValueTask<object?> Done = new(Unit.Boxed);

    public static ValueTask<object?> FromTask(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.IsCompletedSuccessfully)
        {
            return Done;
        }

        return AwaitTask(task);

        static async ValueTask<object?> AwaitTask(Task t)
        {
            await t;
            return Unit.Boxed;
        }
    }

    public static ValueTask<object?> FromValueTask(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return Done;
        }

        return AwaitTask(task);

        static async ValueTask<object?> AwaitTask(ValueTask t)
        {
            await t;
            return Unit.Boxed;
        }
    }

    public static ValueTask<object?> FromTaskOf<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.IsCompletedSuccessfully)
        {
            return new ValueTask<object?>(task.Result);
        }

        return AwaitTask(task);

        static async ValueTask<object?> AwaitTask(Task<T> t) => await t;
    }

    public static ValueTask<object?> FromValueTaskOf<T>(ValueTask<T> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return new ValueTask<object?>(task.Result);
        }

        return AwaitTask(task);

        static async ValueTask<object?> AwaitTask(ValueTask<T> t) => await t;
    }
}
