namespace OrleansRay.Execution;

/// <summary>The argument arrays a task or actor call is invoked with, reused per thread: a compiled invoker reads every
/// argument out of its array before the code starts (<see cref="CompiledFunction.Compile"/>), so the array is free again
/// once <see cref="Invoker.InvokeAsync{TState}(CompiledFunction, object?[], ITaskContextSource, TState, Action{TState, object?, Exception?}, bool)"/>
/// returns, even when the code goes on asynchronously.</summary>
/// <remarks>Rent and return in pairs. A rented array is taken out of its thread's slot, so code that runs another call on
/// the same thread meanwhile (a nested get running a lone local call) rents a new one rather than this one.</remarks>
internal static class ArgumentArrays
{
    /// <summary>Arrays of up to this many arguments are reused; longer ones are made per call.</summary>
    private const int MaxReused = 4;

    /// <summary>This thread's spare array of each length 1..<see cref="MaxReused"/> (index: length - 1), or null.</summary>
    [ThreadStatic]
    private static object?[]?[]? t_spare;

    /// <summary>An array of <paramref name="length"/> nulls: the thread's spare of that length, a new one, or the empty
    /// array for no arguments.</summary>
    public static object?[] Rent(int length)
    {
        if (length == 0)
        {
            return Array.Empty<object?>();
        }

        if (length > MaxReused || t_spare is not { } spare || spare[length - 1] is not { } array)
        {
            return new object?[length];
        }

        spare[length - 1] = null;
        return array;
    }

    /// <summary>Clears <paramref name="args"/> (it must not keep the values it carried alive) and keeps it as this
    /// thread's spare of its length; call once the invoker has returned.</summary>
    public static void Return(object?[] args)
    {
        if (args.Length is 0 or > MaxReused)
        {
            return;
        }

        Array.Clear(args);
        (t_spare ??= new object?[MaxReused][])[args.Length - 1] = args;
    }
}
