namespace OrleansRay;

/// <summary>Multiple returns (Ray's <c>num_returns</c>): a task or actor method whose result is a tuple or an array gives
/// one ref per element instead of one ref of the whole, each an object of its own.</summary>
/// <remarks>
/// <para>Each returned ref names a separate object owned by the caller: it is freed when its own refs are gone (the others
/// stay readable), a large element goes to the object store alone while small ones stay inline, each can be passed to
/// other tasks on its own, and a lost one is rebuilt by running the task again (Ray's lineage reconstruction: the rerun
/// fills only the returns that need it). The returns share their task's fate: if the task fails, is cancelled (through
/// any of the refs), or its actor dies, every ref fails with the same exception.</para>
/// <para><c>Remote()</c> on the same call keeps Ray's default <c>num_returns=1</c>: one ref of the whole tuple.</para>
/// </remarks>
public static partial class MultipleReturnsExtensions
{
    /// <summary>The most returns one call may ask for (100,000): each return is an object with a ref and a table entry
    /// of its own, so a count far beyond what a function returns would only fill memory before the count check fails.
    /// More values travel as one array (<c>Remote()</c>) or one by one from a streaming generator.</summary>
    public const int MaxReturns = 100_000;

    private static void CheckReturns(int numReturns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numReturns, 2);
        if (numReturns > MaxReturns)
        {
            throw new ArgumentOutOfRangeException(nameof(numReturns), numReturns,
                $"RemoteMany takes at most {MaxReturns:N0} returns (each is an object of its own); return the values as one array with Remote(), or yield them from a streaming generator (IAsyncEnumerable<T>).");
        }
    }

    /// <summary>Submits the task with <paramref name="numReturns"/> returns (Ray's <c>num_returns=N</c> for a function
    /// returning a list): the function must return an array of exactly that many elements, and each becomes an object
    /// of its own.</summary>
    /// <param name="call">The task (<c>ray.Task(f, ...)</c> of a function returning <c>T[]</c>).</param>
    /// <param name="numReturns">How many elements, at least 2 (for one ref of the whole array use <c>Remote()</c>).</param>
    /// <returns>One ref per element, in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numReturns"/> is below 2 or above <see cref="MaxReturns"/>.</exception>
    /// <remarks>An array of another length fails every ref with a <see cref="RayTaskException"/> naming both counts.</remarks>
    public static ObjectRef<T>[] RemoteMany<T>(this TaskCall<T[]> call, int numReturns)
    {
        CheckReturns(numReturns);
        return call.Submit(numReturns).Refs<T>();
    }

    /// <summary>Calls the actor method with <paramref name="numReturns"/> returns (Ray's <c>num_returns=N</c> for a method
    /// returning a list): the method must return an array of exactly that many elements.</summary>
    /// <param name="call">The call (<c>handle.Task(m, ...)</c> of a method returning <c>T[]</c>).</param>
    /// <param name="numReturns">How many elements, at least 2 (for one ref of the whole array use <c>Remote()</c>).</param>
    /// <returns>One ref per element, in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numReturns"/> is below 2 or above <see cref="MaxReturns"/>.</exception>
    public static ObjectRef<T>[] RemoteMany<T>(this ActorMethodCall<T[]> call, int numReturns)
    {
        CheckReturns(numReturns);
        return call.Submit(numReturns).Refs<T>();
    }
}
