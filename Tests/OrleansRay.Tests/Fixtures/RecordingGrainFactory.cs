using System.Reflection;

namespace OrleansRay.Tests.Fixtures;

/// <summary>A grain factory that records, in order, every call made on the grain references it hands out
/// ("IGrainInterface.Method"), then makes the call through the real factory: tests of the order of control-store calls.</summary>
public class RecordingGrainFactory : DispatchProxy
{
    private IGrainFactory _inner = null!;
    private List<string> _calls = null!;

    /// <summary>A factory over <paramref name="inner"/> that appends to <paramref name="calls"/> (locked while it does).</summary>
    public static IGrainFactory Create(IGrainFactory inner, List<string> calls)
    {
        var proxy = DispatchProxy.Create<IGrainFactory, RecordingGrainFactory>();
        var recording = (RecordingGrainFactory)(object)proxy;
        (recording._inner, recording._calls) = (inner, calls);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var result = Unwrap(() => targetMethod.Invoke(_inner, args));
        if (targetMethod.Name == nameof(IGrainFactory.GetGrain) && targetMethod.ReturnType.IsInterface && result is not null)
        {
            var grain = (RecordingGrain)DispatchProxy.Create(targetMethod.ReturnType, typeof(RecordingGrain));
            (grain.Inner, grain.Calls, grain.Interface) = (result, _calls, targetMethod.ReturnType);
            return grain;
        }

        return result;
    }

    private static object? Unwrap(Func<object?> call)
    {
        try
        {
            return call();
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    /// <summary>One recorded grain reference.</summary>
    public class RecordingGrain : DispatchProxy
    {
        internal object Inner { get; set; } = null!;

        internal List<string> Calls { get; set; } = null!;

        internal Type Interface { get; set; } = null!;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            lock (Calls)
            {
                Calls.Add(Interface.Name + "." + targetMethod.Name);
            }

            return Unwrap(() => targetMethod.Invoke(Inner, args));
        }
    }
}
