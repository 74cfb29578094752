namespace OrleansRay.Scheduling;

/// <summary>Which exceptions thrown by a task's function run it again while its retries last (Ray's
/// <c>retry_exceptions</c>): every one (<see cref="All"/>, Ray's <c>True</c>), or only those of the listed types and
/// the types deriving from them (Ray's list of exception classes). A task that retries none has no policy (null).</summary>
/// <remarks>Types are compared by full name, the thrown exception's type and each of its base types, on the node that
/// runs the task: job code loaded there in a load context of its own (another <see cref="Type"/> of the same name)
/// matches too, and the names are what travel to other nodes (<see cref="RemoteTask.RetryExceptionTypes"/>).</remarks>
internal sealed class ExceptionRetry
{
    /// <summary>Every exception is retried.</summary>
    public static readonly ExceptionRetry All = new(null);

    private ExceptionRetry(string[]? typeNames) => TypeNames = typeNames;

    /// <summary>The full names of the types retried; null: every exception is (<see cref="All"/>).</summary>
    public string[]? TypeNames { get; }

    /// <summary>True for <see cref="All"/>: every exception is retried.</summary>
    public bool RetriesAll => TypeNames is null;

    /// <summary>The policy of a task: <see cref="All"/> when <paramref name="all"/>, else the listed types, else null
    /// (none is retried).</summary>
    public static ExceptionRetry? Of(bool all, string[]? typeNames) =>
        all ? All : typeNames is { Length: > 0 } ? new ExceptionRetry(typeNames) : null;

    /// <summary>Whether <paramref name="exception"/>, thrown by the task's function, runs it again: it is of a listed
    /// type or derives from one. A failure the function rethrew from work it awaited (a <see cref="IRayErrorSource"/>)
    /// is also matched by the type that work threw, as Ray's <c>RayTaskError</c> is an instance of the cause's class.</summary>
    public bool Retries(Exception exception)
    {
        if (TypeNames is not { } names)
        {
            return true;
        }

        if (exception is System.Reflection.TargetInvocationException { InnerException: { } inner })
        {
            exception = inner;
        }

        for (var type = exception.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            if (Array.IndexOf(names, type.FullName ?? type.Name) >= 0)
            {
                return true;
            }
        }

        if (exception is IRayErrorSource { Error: { Kind: RayErrorKind.TaskFailed } carried })
        {
            foreach (var name in carried.ExceptionTypes)
            {
                if (Array.IndexOf(names, name) >= 0)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
