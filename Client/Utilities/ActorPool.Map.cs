using System.Runtime.CompilerServices;

namespace OrleansRay;

public sealed partial class ActorPool<TActor>
{
    /// <summary>Calls <paramref name="method"/> on the pool's actors for every value and yields the results in the
    /// order of <paramref name="values"/> (Ray's <c>ActorPool.map</c>).</summary>
    /// <param name="method">A lambda that captures nothing, the actor as its first parameter: <c>(a, v) =&gt; a.Score(v)</c>.
    /// It may return <c>T</c>, <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>.</param>
    /// <param name="values">The inputs, read when the enumeration starts; each is one call.</param>
    /// <param name="cancellationToken">Stops the enumeration; calls already sent run to their end.</param>
    /// <returns>The results, each as soon as it and the ones before it are ready. A failed call raises its error
    /// (<see cref="RayTaskException"/>, ...) at its position.</returns>
    /// <remarks>All values are submitted when the enumeration starts (they wait in the pool for free actors, at most
    /// one call per actor at a time). A map reads its own results: it shares the actors with <see cref="Submit{TValue, TResult}(Func{TActor, TValue, TResult}, TValue)"/>
    /// and other maps (first come, first served) but not their results, so <see cref="GetNextAsync{TResult}"/> never
    /// returns a map's result. Leaving the enumeration early (break, an error, cancellation) drops the calls not yet
    /// sent; those running finish and free their actors.</remarks>
    /// <exception cref="ArgumentException">The lambda captures state.</exception>
    /// <exception cref="InvalidOperationException">The pool has no actors when the enumeration starts (<see cref="PopIdle"/>
    /// took them all) and there is a value to map: raised at once by the enumeration, nothing is submitted (it would
    /// wait forever). <see cref="Push"/> an actor first.</exception>
    [OverloadResolutionPriority(0)]
    public IAsyncEnumerable<TResult> MapAsync<TValue, TResult>(Func<TActor, TValue, TResult> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<TResult>(actor => actor.Task(method, v).Remote(), mapped: true)), ordered: true, cancellationToken);
    }

    /// <inheritdoc cref="MapAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(2)]
    public IAsyncEnumerable<TResult> MapAsync<TValue, TResult>(Func<TActor, TValue, Task<TResult>> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<TResult>(actor => actor.Task(method, v).Remote(), mapped: true)), ordered: true, cancellationToken);
    }

    /// <inheritdoc cref="MapAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public IAsyncEnumerable<TResult> MapAsync<TValue, TResult>(Func<TActor, TValue, ValueTask<TResult>> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<TResult>(actor => actor.Task(method, v).Remote(), mapped: true)), ordered: true, cancellationToken);
    }

    /// <summary>Like <see cref="MapAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>,
    /// but yields each result as soon as its call finishes (Ray's <c>ActorPool.map_unordered</c>).</summary>
    /// <param name="method">A lambda that captures nothing, the actor as its first parameter.</param>
    /// <param name="values">The inputs, read when the enumeration starts; each is one call.</param>
    /// <param name="cancellationToken">Stops the enumeration; calls already sent run to their end.</param>
    /// <returns>The results in the order their calls finish; a failed call raises its error when it finishes.</returns>
    /// <exception cref="ArgumentException">The lambda captures state.</exception>
    /// <exception cref="InvalidOperationException">The pool has no actors when the enumeration starts and there is a
    /// value to map: raised at once by the enumeration, as for <c>MapAsync</c>.</exception>
    [OverloadResolutionPriority(0)]
    public IAsyncEnumerable<TResult> MapUnorderedAsync<TValue, TResult>(Func<TActor, TValue, TResult> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<TResult>(actor => actor.Task(method, v).Remote(), mapped: true)), ordered: false, cancellationToken);
    }

    /// <inheritdoc cref="MapUnorderedAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(2)]
    public IAsyncEnumerable<TResult> MapUnorderedAsync<TValue, TResult>(Func<TActor, TValue, Task<TResult>> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<TResult>(actor => actor.Task(method, v).Remote(), mapped: true)), ordered: false, cancellationToken);
    }

    /// <inheritdoc cref="MapUnorderedAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public IAsyncEnumerable<TResult> MapUnorderedAsync<TValue, TResult>(Func<TActor, TValue, ValueTask<TResult>> method, IEnumerable<TValue> values, CancellationToken cancellationToken = default)
    {
        CheckMethod(method);
        ArgumentNullException.ThrowIfNull(values);
        return MapCoreAsync(values.Select(v => new PoolSubmission<TResult>(actor => actor.Task(method, v).Remote(), mapped: true)), ordered: false, cancellationToken);
    }

    private async IAsyncEnumerable<TResult> MapCoreAsync<TResult>(IEnumerable<PoolSubmission<TResult>> submissions, bool ordered, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var mine = new List<PoolSubmission<TResult>>();
        try
        {
            foreach (var submission in submissions)
            {
                mine.Add(submission);
                Enqueue(submission);
            }

            if (ordered)
            {
                foreach (var submission in mine)
                {
                    yield return await submission.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await foreach (var finished in Task.WhenEach(mine.Select(s => s.Result.Task)).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    yield return await finished.ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Abandon(mine);
        }
    }

    /// <summary>A map ended: its submissions still waiting for an actor are dropped; errors of the ones it did not read
    /// are observed (nobody will read them).</summary>
    private void Abandon<TResult>(List<PoolSubmission<TResult>> submissions)
    {
        lock (_lock)
        {
            foreach (var submission in submissions)
            {
                submission.Abandoned = true;
            }

            var keep = _waiting.Where(s => !s.Abandoned).ToList();
            _waiting.Clear();
            foreach (var submission in keep)
            {
                _waiting.Enqueue(submission);
            }
        }

        foreach (var submission in submissions)
        {
            _ = submission.Result.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
