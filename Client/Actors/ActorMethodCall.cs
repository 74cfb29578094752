using OrleansRay.Internal;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>An actor method call about to be submitted: <see cref="Remote"/> sends it.</summary>
/// <typeparam name="TResult">The type of the method's result.</typeparam>
public readonly struct ActorMethodCall<TResult>
{
    private readonly IRay? _ray;
    private readonly ActorId _actorId;
    private readonly Delegate _method;
    private readonly TaskArg[] _args;

    internal ActorMethodCall(IRay? ray, ActorId actorId, Delegate method, TaskArg[] args)
    {
        ArgumentNullException.ThrowIfNull(method);
        _ray = ray;
        _actorId = actorId;
        _method = method;
        _args = args;
    }

    /// <summary>Submits the call and returns the ref of its result at once. Calls from one caller run in submission order.</summary>
    /// <exception cref="ArgumentException">The lambda captures state, or an argument cannot be serialized.</exception>
    /// <remarks>A method returning a tuple gives one ref of the whole tuple here (Ray's default <c>num_returns=1</c>);
    /// <c>.RemoteMany()</c> gives one ref per element instead (<see cref="MultipleReturnsExtensions"/>).</remarks>
    public ObjectRef<TResult> Remote() => Submit(1).Ref<TResult>(0);

    /// <summary>Submits the call with <paramref name="numReturns"/> return objects (Ray's <c>num_returns</c>).</summary>
    internal ReturnRefs Submit(int numReturns)
    {
        if (_method is null)
        {
            throw new InvalidOperationException("This ActorMethodCall was not created by handle.Task(...).");
        }

        var ray = _ray ?? Ray.CurrentOrNodeOfTask;
        var runtime = IRayRuntimeAccess.Of(ray);
        runtime.ThrowIfDisposed();
        var method = runtime.ForJob(FunctionRegistry.ForDelegate(_method, "actor method"));
        var args = ArgumentPacker.Pack(runtime, _args, method.DisplayName);
        var entry = runtime.Actors.Call(_actorId, method, args, numReturns, out var others);
        return new ReturnRefs(runtime, entry, others);
    }
}
