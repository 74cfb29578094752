using System.Runtime.CompilerServices;

namespace OrleansRay;

/// <summary>The pool's calls of actor methods that return nothing (<c>void</c>, <c>Task</c>, <c>ValueTask</c>): their
/// result is <see cref="Unit"/>, Ray's None, which says the call finished (or raises its error).</summary>
public sealed partial class ActorPool<TActor>
{
    /// <summary>Submits a call of the actor method <paramref name="method"/>, which returns nothing, with
    /// <paramref name="value"/> (Ray's <c>submit</c> of a method returning None). Read its completion with
    /// <c>GetNextAsync&lt;Unit&gt;()</c> or <c>GetNextUnorderedAsync&lt;Unit&gt;()</c>: <see cref="Unit"/> once the call
    /// finished, or its error. Otherwise as <see cref="Submit{TValue, TResult}(Func{TActor, TValue, TResult}, TValue)"/>.</summary>
    /// <param name="method">A lambda that captures nothing, the actor as its first parameter: <c>(a, v) =&gt; a.Store(v)</c>.</param>
    /// <param name="value">The argument: a value or an <see cref="ObjectRef{T}"/> of one, serializable like any task argument.</param>
    /// <exception cref="ArgumentException">The lambda captures state, or (when an actor was free) the value cannot be
    /// serialized.</exception>
    [OverloadResolutionPriority(-1)]
    public void Submit<TValue>(Action<TActor, TValue> method, TValue value)
    {
        CheckMethod(method);
        Enqueue(new PoolSubmission<Unit>(actor => actor.Task(method, value).Remote(), mapped: false));
    }

    /// <inheritdoc cref="Submit{TValue}(Action{TActor, TValue}, TValue)"/>
    [OverloadResolutionPriority(2)]
    public void Submit<TValue>(Func<TActor, TValue, Task> method, TValue value)
    {
        CheckMethod(method);
        Enqueue(new PoolSubmission<Unit>(actor => actor.Task(method, value).Remote(), mapped: false));
    }

    /// <inheritdoc cref="Submit{TValue}(Action{TActor, TValue}, TValue)"/>
    [OverloadResolutionPriority(1)]
    public void Submit<TValue>(Func<TActor, TValue, ValueTask> method, TValue value)
    {
        CheckMethod(method);
        Enqueue(new PoolSubmission<Unit>(actor => actor.Task(method, value).Remote(), mapped: false));
    }

    /// <summary>Calls <paramref name="method"/>, which returns nothing, on the pool's actors for every value, and yields a
    /// <see cref="Unit"/> per call in the order of <paramref name="values"/> as the calls finish (Ray's
    /// <c>ActorPool.map</c> of a method returning None). Otherwise as
    /// <see cref="MapAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>.</summary>
    /// <param name="method">A lambda that captures nothing, the actor as its first parameter.</param>
    /// <param name="values">The inputs, read when the enumeration starts; each is one call.</param>
    /// <param name="cancellationToken">Stops the enumeration; calls already sent run to their end.</param>
    /// <returns>One <see cref="Unit"/> per call; a failed call raises its error at its position.</returns>
    /// <exception cref="ArgumentException">The lambda captures state.</exception>
    /// <exception cref="InvalidOperationException">The pool has no actors when the enumeration starts and there is a
    /// value to map.</exception>
    [OverloadResolutionPriority(-1)]
    public IAsyncEnumerable<Unit> MapAsync<TValue>(Action<TActor, TValue> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default) =>
        MapVoid(method, values, (actor, v) => actor.Task(method, v).Remote(), ordered: true, cancellationToken);

    /// <inheritdoc cref="MapAsync{TValue}(Action{TActor, TValue}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(2)]
    public IAsyncEnumerable<Unit> MapAsync<TValue>(Func<TActor, TValue, Task> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default) =>
        MapVoid(method, values, (actor, v) => actor.Task(method, v).Remote(), ordered: true, cancellationToken);

    /// <inheritdoc cref="MapAsync{TValue}(Action{TActor, TValue}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public IAsyncEnumerable<Unit> MapAsync<TValue>(Func<TActor, TValue, ValueTask> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default) =>
        MapVoid(method, values, (actor, v) => actor.Task(method, v).Remote(), ordered: true, cancellationToken);

    /// <summary>Like <see cref="MapAsync{TValue}(Action{TActor, TValue}, IEnumerable{TValue}, CancellationToken)"/>, but
    /// yields a <see cref="Unit"/> as each call finishes (Ray's <c>ActorPool.map_unordered</c>).</summary>
    /// <param name="method">A lambda that captures nothing, the actor as its first parameter.</param>
    /// <param name="values">The inputs, read when the enumeration starts; each is one call.</param>
    /// <param name="cancellationToken">Stops the enumeration; calls already sent run to their end.</param>
    /// <returns>One <see cref="Unit"/> per call, in the order the calls finish; a failed call raises its error when it finishes.</returns>
    /// <exception cref="ArgumentException">The lambda captures state.</exception>
    /// <exception cref="InvalidOperationException">The pool has no actors when the enumeration starts and there is a
    /// value to map.</exception>
    [OverloadResolutionPriority(-1)]
    public IAsyncEnumerable<Unit> MapUnorderedAsync<TValue>(Action<TActor, TValue> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default) =>
        MapVoid(method, values, (actor, v) => actor.Task(method, v).Remote(), ordered: false, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TValue}(Action{TActor, TValue}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(2)]
    public IAsyncEnumerable<Unit> MapUnorderedAsync<TValue>(Func<TActor, TValue, Task> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default) =>
        MapVoid(method, values, (actor, v) => actor.Task(method, v).Remote(), ordered: false, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TValue}(Action{TActor, TValue}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public IAsyncEnumerable<Unit> MapUnorderedAsync<TValue>(Func<TActor, TValue, ValueTask> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default) =>
        MapVoid(method, values, (actor, v) => actor.Task(method, v).Remote(), ordered: false, cancellationToken);

    private IAsyncEnumerable<Unit> MapVoid<TValue>(Delegate method, IEnumerable<TValue> values, Func<ActorHandle<TActor>, TValue, ObjectRef<Unit>> call, bool ordered, CancellationToken cancellationToken)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<Unit>(actor => call(actor, v), mapped: true)), ordered, cancellationToken);
    }
}
