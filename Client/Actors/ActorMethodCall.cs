using System.Reflection;
using System.Runtime.CompilerServices;
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
    private readonly ActorCallOptions? _options;

    internal ActorMethodCall(IRay? ray, ActorId actorId, Delegate method, TaskArg[] args)
        : this(ray, actorId, method, args, null)
    {
    }

    private ActorMethodCall(IRay? ray, ActorId actorId, Delegate method, TaskArg[] args, ActorCallOptions? options)
    {
        ArgumentNullException.ThrowIfNull(method);
        _ray = ray;
        _actorId = actorId;
        _method = method;
        _args = args;
        _options = options;
    }

    /// <summary>The same call with these options (Ray's <c>actor.method.options(...)</c>), e.g. the concurrency group it
    /// runs in.</summary>
    /// <param name="options">The call's options; read when <see cref="Remote"/> submits it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public ActorMethodCall<TResult> Options(ActorCallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ActorMethodCall<TResult>(_ray, _actorId, _method, _args, options);
    }

    /// <summary>Submits the call and returns the ref of its result at once. Calls from one caller start in submission order
    /// (for an async actor, or an actor with concurrency groups: within each concurrency group).</summary>
    /// <exception cref="ArgumentException">The lambda captures state, an argument cannot be serialized, or the call's
    /// concurrency group (<see cref="ActorCallOptions.ConcurrencyGroup"/> or the method's
    /// <see cref="ConcurrencyGroupAttribute"/>) is not one the actor has, when this node created the actor (else the
    /// actor's node refuses it and awaiting the result throws, with the same message).</exception>
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
        var runtime = IRayRuntimeAccess.Live(ray);
        var method = runtime.ForJob(FunctionRegistry.ForDelegate(_method, "actor method"));
        var args = ArgumentPacker.Pack(runtime, _args, method.DisplayName);
        var entry = runtime.Actors.Call(_actorId, method, args, numReturns, _options?.ConcurrencyGroup ?? ActorMethodGroups.Of(method.Method), out var others);
        return new ReturnRefs(runtime, entry, others);
    }
}

/// <summary>The concurrency group of an actor method call's lambda: the <see cref="ConcurrencyGroupAttribute"/> of the
/// actor method it calls, looked up once per lambda (weakly, so a job's unloaded code is not kept).</summary>
internal static class ActorMethodGroups
{
    private static readonly ConditionalWeakTable<MethodBase, StrongBox<string?>> Groups = new();

    public static string? Of(MethodBase lambda) =>
        Groups.GetValue(lambda, static m => new StrongBox<string?>(LambdaNames.Target(m)?.GetCustomAttribute<ConcurrencyGroupAttribute>(inherit: true)?.Name)).Value;
}
