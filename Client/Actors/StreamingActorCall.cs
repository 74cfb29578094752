using OrleansRay.Execution;
using OrleansRay.Internal;

namespace OrleansRay;

/// <summary>A call of an actor method that returns <see cref="IAsyncEnumerable{T}"/>, about to be submitted as a streaming
/// generator (Ray's actor generator: an actor method that yields, called with <c>.remote()</c>, gives an
/// <c>ObjectRefGenerator</c>). Made by <c>actor.Task(a =&gt; a.Method(...))</c>; set <see cref="Options"/>, then
/// <see cref="Remote"/>.</summary>
/// <typeparam name="T">The type of the items the method yields.</typeparam>
/// <remarks>The method runs as any call of the actor (in its caller's order, in its concurrency group, on the actor's
/// state): for an actor running one call at a time, the actor's next call starts once the generator has finished (or
/// was stopped).</remarks>
public readonly struct StreamingActorCall<T>
{
    private readonly IRay? _ray;
    private readonly ActorId _actorId;
    private readonly Delegate _method;
    private readonly TaskArg[] _args;
    private readonly ActorCallOptions? _options;

    internal StreamingActorCall(IRay? ray, ActorId actorId, Delegate method, TaskArg[] args, ActorCallOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        _ray = ray;
        _actorId = actorId;
        _method = method;
        _args = args;
        _options = options;
    }

    /// <summary>The same call with these options (Ray's <c>actor.method.options(...)</c>): the concurrency group it runs in,
    /// <see cref="ActorCallOptions.GeneratorBackpressureNumObjects"/>.</summary>
    /// <param name="options">The call's options; read when <see cref="Remote"/> submits it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public StreamingActorCall<T> Options(ActorCallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new StreamingActorCall<T>(_ray, _actorId, _method, _args, options);
    }

    /// <summary>Submits the call and returns its generator at once; the refs of its items arrive as the method yields
    /// them (see <see cref="ObjectRefGenerator{T}"/> for errors, cancelling and backpressure). Calls from one caller start
    /// in submission order, as other calls of the actor do.</summary>
    /// <exception cref="ArgumentException">The lambda captures state, an argument cannot be serialized, or the call's
    /// concurrency group is not one the actor has (when this node created the actor; else the generator fails).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ActorCallOptions.GeneratorBackpressureNumObjects"/> is 0 or
    /// below -1.</exception>
    public ObjectRefGenerator<T> Remote()
    {
        if (_method is null)
        {
            throw new InvalidOperationException("This StreamingActorCall was not created by handle.Task(...).");
        }

        var backpressure = _options?.GeneratorBackpressureNumObjects ?? -1;
        _options?.Validate();
        var ray = _ray ?? Ray.CurrentOrNodeOfTask;
        var runtime = IRayRuntimeAccess.Live(ray);
        var method = runtime.ForJob(FunctionRegistry.ForDelegate(_method, "actor generator method"));
        var args = ArgumentPacker.Pack(runtime, _args, method.DisplayName);
        var group = _options?.ConcurrencyGroup ?? ActorMethodGroups.Of(method.Method);
        var stream = runtime.Actors.CallGenerator(_actorId, method, args, group, Math.Max(0, backpressure));
        return new ObjectRefGenerator<T>(stream, runtime.WorkerId, runtime.Reader);
    }
}
