using OrleansRay.Internal;

namespace OrleansRay;

/// <summary>A fixed set of actors of class <typeparamref name="TActor"/> that share work, one call per actor at a time
/// (Ray's <c>ray.util.ActorPool</c>): <see cref="MapAsync{TValue, TResult}(Func{TActor, TValue, TResult}, IEnumerable{TValue}, CancellationToken)"/>
/// a method over many inputs, or <see cref="Submit{TValue, TResult}(Func{TActor, TValue, TResult}, TValue)"/> calls and read
/// their results with <see cref="GetNextAsync{TResult}"/> (submission order) or <see cref="GetNextUnorderedAsync{TResult}"/>
/// (completion order).</summary>
/// <typeparam name="TActor">The actors' class.</typeparam>
/// <remarks>
/// <para>The method is a lambda that captures nothing, with the actor as its first parameter, as for
/// <c>handle.Task(...)</c>: <c>pool.MapAsync((model, doc) =&gt; model.Score(doc), docs)</c>. An actor is busy from the
/// submission of its call until the call finishes; a submission when no actor is free waits in the pool (in order) and
/// goes to the next actor that frees. So at most as many calls run at once as the pool has actors.</para>
/// <para>One difference from Ray, deliberate: Ray hands an actor back when its result is read with <c>get_next</c>;
/// here it is free as soon as its call finishes, so a slow reader does not idle the actors. Results wait in the pool
/// (as refs, in the object store, and their values once fetched) until read.</para>
/// <para>A failed call raises its error (<see cref="RayTaskException"/>, <see cref="ActorDiedException"/>, ...) where
/// its result is read, and frees its actor. Thread-safe; the pool lives in the process that made it (it is not
/// serializable: pass the actor handles to a task and build a pool there if needed).</para>
/// </remarks>
public sealed partial class ActorPool<TActor> where TActor : class
{
    private readonly object _lock = new();
    private readonly HashSet<ActorHandle<TActor>> _members = [];
    private readonly List<ActorHandle<TActor>> _idle = [];
    private readonly Queue<PoolSubmission> _waiting = new();
    private readonly LinkedList<PoolSubmission> _unread = new();
    private readonly LinkedList<PoolSubmission> _finishedUnread = new();
    private TaskCompletionSource _finished = NewSignal();

    /// <summary>Creates a pool of <paramref name="actors"/>, all idle.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="actors"/> or one of them is null.</exception>
    /// <exception cref="ArgumentException">No actors, or the same actor twice.</exception>
    public ActorPool(IEnumerable<ActorHandle<TActor>> actors)
    {
        ArgumentNullException.ThrowIfNull(actors);
        foreach (var actor in actors)
        {
            ArgumentNullException.ThrowIfNull(actor, nameof(actors));
            if (!_members.Add(actor))
            {
                throw new ArgumentException($"{actor} is in the list twice; an actor can be in a pool once.", nameof(actors));
            }

            _idle.Add(actor);
        }

        if (_members.Count == 0)
        {
            throw new ArgumentException("An actor pool needs at least one actor.", nameof(actors));
        }
    }

    /// <summary>Actors in the pool, busy or idle.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>True when <see cref="GetNextAsync{TResult}"/> has a result to return or to wait for (Ray's
    /// <c>has_next</c>): a submitted call not yet read that has run or runs on an actor, or that waits for a free actor
    /// of a pool that has actors.</summary>
    /// <remarks>False when nothing is left to read, and also when the only unread calls wait in a pool with no actors
    /// (<see cref="PopIdle"/> took them all): nothing can run them, as Ray counts only calls in flight on an actor.
    /// They stay queued; <see cref="Push"/> an actor and it is true again.</remarks>
    public bool HasNext
    {
        get
        {
            lock (_lock)
            {
                return _unread.Count > 0 && (_members.Count > 0 || _finishedUnread.Count > 0);
            }
        }
    }

    /// <summary>True when an actor is idle and no submission waits for one, so the next submission starts at once
    /// (Ray's <c>has_free</c>).</summary>
    public bool HasFree
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count > 0 && _waiting.Count == 0;
            }
        }
    }

    /// <summary>Submits a call of the actor method <paramref name="method"/> with <paramref name="value"/> to an idle
    /// actor, or queues it until one frees (Ray's <c>submit</c>). Read its result with <see cref="GetNextAsync{TResult}"/>
    /// or <see cref="GetNextUnorderedAsync{TResult}"/>. A pool with no actors (<see cref="PopIdle"/> took them all)
    /// queues it too, for an actor <see cref="Push"/>ed later; reading it before then throws.</summary>
    /// <param name="method">A lambda that captures nothing, the actor as its first parameter: <c>(a, v) =&gt; a.Score(v)</c>.
    /// It may return <c>T</c>, <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>.</param>
    /// <param name="value">The argument: a value or an <see cref="ObjectRef{T}"/> of one, serializable like any task argument.</param>
    /// <exception cref="ArgumentException">The lambda captures state, or (when an actor was free) the value cannot be
    /// serialized. A queued submission that fails so reports it where its result is read.</exception>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(0)]
    public void Submit<TValue, TResult>(Func<TActor, TValue, TResult> method, TValue value)
    {
        CheckMethod(method);
        Enqueue(new PoolSubmission<TResult>(actor => actor.Task(method, value).Remote(), mapped: false));
    }

    /// <inheritdoc cref="Submit{TValue, TResult}(Func{TActor, TValue, TResult}, TValue)"/>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(2)]
    public void Submit<TValue, TResult>(Func<TActor, TValue, Task<TResult>> method, TValue value)
    {
        CheckMethod(method);
        Enqueue(new PoolSubmission<TResult>(actor => actor.Task(method, value).Remote(), mapped: false));
    }

    /// <inheritdoc cref="Submit{TValue, TResult}(Func{TActor, TValue, TResult}, TValue)"/>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public void Submit<TValue, TResult>(Func<TActor, TValue, ValueTask<TResult>> method, TValue value)
    {
        CheckMethod(method);
        Enqueue(new PoolSubmission<TResult>(actor => actor.Task(method, value).Remote(), mapped: false));
    }

    /// <summary>The result of the earliest submission not yet read, waiting for it if needed (Ray's <c>get_next</c>).</summary>
    /// <typeparam name="TResult">The method's result type, as submitted.</typeparam>
    /// <param name="timeout">How long to wait; null (the default) waits as long as it takes. On a timeout the result stays
    /// unread: the next call returns it.</param>
    /// <param name="cancellationToken">Stops waiting (the call goes on and its result stays unread).</param>
    /// <exception cref="InvalidOperationException">Nothing is left to read; or the next call waits for an actor and the
    /// pool has none (<see cref="PopIdle"/> took them all), so it could never run: thrown at once, the call stays queued
    /// for an actor <see cref="Push"/>ed later (in both cases <see cref="HasNext"/> is false); or the next result is not
    /// a <typeparamref name="TResult"/>.</exception>
    /// <exception cref="GetTimeoutException">The result was not ready within <paramref name="timeout"/>.</exception>
    /// <exception cref="RayException">The call failed: its error, as reading its ref would raise it.</exception>
    public async Task<TResult> GetNextAsync<TResult>(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        timeout = Timeouts.Check(timeout);
        while (true)
        {
            PoolSubmission next;
            lock (_lock)
            {
                next = _unread.First?.Value ?? throw NothingToRead();

                // Calls start in submission order and a busy actor cannot be popped, so with no actors the next call
                // either finished before they went or waits for one that will never come.
                if (_members.Count == 0 && next.FinishedNode is null)
                {
                    throw NoActors();
                }
            }

            var typed = As<TResult>(next);
            await WaitAsync(typed.Result.Task, timeout, "The next result of the actor pool", cancellationToken).ConfigureAwait(false);
            if (TryRead(next))
            {
                return await typed.Result.Task.ConfigureAwait(false);
            }

            // Another reader took it meanwhile: the next one is ours.
        }
    }

    /// <summary>The result of a finished call not yet read, the earliest to finish first, waiting for one if none has
    /// (Ray's <c>get_next_unordered</c>).</summary>
    /// <typeparam name="TResult">The method's result type, as submitted.</typeparam>
    /// <param name="timeout">How long to wait for a call to finish; null (the default) waits as long as it takes.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidOperationException">Nothing is left to read; or no call has finished unread and the pool
    /// has no actors to run the waiting ones (<see cref="PopIdle"/> took them all): thrown at once, the calls stay queued
    /// for an actor <see cref="Push"/>ed later (in both cases <see cref="HasNext"/> is false); or the result is not a
    /// <typeparamref name="TResult"/> (it then stays unread).</exception>
    /// <exception cref="GetTimeoutException">No call finished within <paramref name="timeout"/>.</exception>
    /// <exception cref="RayException">The call failed: its error.</exception>
    public async Task<TResult> GetNextUnorderedAsync<TResult>(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        timeout = Timeouts.Check(timeout);
        var deadline = timeout is { } t ? DateTime.UtcNow + t : (DateTime?)null;
        while (true)
        {
            Task signal = Task.CompletedTask;
            PoolSubmission<TResult>? ready = null;
            lock (_lock)
            {
                if (_finishedUnread.First is { } first)
                {
                    ready = As<TResult>(first.Value);
                    ReadLocked(first.Value);
                }
                else
                {
                    if (_unread.Count == 0)
                    {
                        throw NothingToRead();
                    }

                    if (_members.Count == 0)
                    {
                        // No call finished unread and no actor runs one (a busy actor cannot be popped): they all wait.
                        throw NoActors();
                    }

                    signal = _finished.Task;
                }
            }

            if (ready is not null)
            {
                return await ready.Result.Task.ConfigureAwait(false);
            }

            var left = deadline is { } d ? d - DateTime.UtcNow : (TimeSpan?)null;
            if (left < TimeSpan.Zero)
            {
                throw new GetTimeoutException(timeout!.Value, "No result of the actor pool");
            }

            await WaitAsync(signal, left, "No result of the actor pool", cancellationToken, reported: timeout).ConfigureAwait(false);
        }
    }

    /// <summary>Takes an idle actor out of the pool (Ray's <c>pop_idle</c>), or returns null when none is idle.</summary>
    public ActorHandle<TActor>? PopIdle()
    {
        lock (_lock)
        {
            if (_idle.Count == 0)
            {
                return null;
            }

            var actor = _idle[^1];
            _idle.RemoveAt(_idle.Count - 1);
            _members.Remove(actor);
            return actor;
        }
    }

    /// <summary>Adds an actor to the pool (Ray's <c>push</c>): it takes the oldest waiting submission, if any, else it is idle.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="actor"/> is null.</exception>
    /// <exception cref="ArgumentException">The actor is already in the pool.</exception>
    public void Push(ActorHandle<TActor> actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        lock (_lock)
        {
            if (!_members.Add(actor))
            {
                throw new ArgumentException($"{actor} is already in the pool.", nameof(actor));
            }
        }

        Release(actor);
    }

    /// <summary>Refuses a capturing lambda at submission, not later when a queued submission reaches an actor.</summary>
    private static void CheckMethod(Delegate method)
    {
        ArgumentNullException.ThrowIfNull(method);
        OrleansRay.Execution.FunctionRegistry.ForDelegate(method, "actor method");
    }

    /// <summary>Starts <paramref name="submission"/> on an idle actor, or queues it.</summary>
    /// <exception cref="InvalidOperationException">A map's submission and the pool has no actors: the map reads its own
    /// results at once and would wait forever (a single submission is kept for an actor pushed later).</exception>
    private void Enqueue(PoolSubmission submission)
    {
        ActorHandle<TActor>? actor = null;
        lock (_lock)
        {
            if (submission.Mapped && _members.Count == 0)
            {
                throw NoActors();
            }

            if (!submission.Mapped)
            {
                submission.UnreadNode = _unread.AddLast(submission);
            }

            if (_idle.Count > 0 && _waiting.Count == 0)
            {
                // The actor idle longest: an actor that finished at once must not take every submission while the
                // others stay idle (calls to a local actor can finish before the next one is submitted).
                actor = _idle[0];
                _idle.RemoveAt(0);
            }
            else
            {
                _waiting.Enqueue(submission);
            }
        }

        if (actor is null)
        {
            return;
        }

        try
        {
            Start(submission, actor, throwOnSubmitError: true);
        }
        catch
        {
            // The submission never existed, so its actor is free again (and takes a waiting submission, if any).
            Release(actor);
            throw;
        }
    }

    /// <summary>Sends the call; false when it could not be sent (its error is then the submission's result, or thrown).</summary>
    private bool Start(PoolSubmission submission, ActorHandle<TActor> actor, bool throwOnSubmitError)
    {
        try
        {
            submission.Start(actor, Finished);
            return true;
        }
        catch (Exception) when (throwOnSubmitError)
        {
            // Submit throws: the submission never existed.
            lock (_lock)
            {
                if (submission.UnreadNode is { } node)
                {
                    _unread.Remove(node);
                    submission.UnreadNode = null;
                }
            }

            throw;
        }
        catch (Exception ex)
        {
            submission.Fail(ex);
            Finished(submission, actor: null);
            return false;
        }
    }

    /// <summary>A call finished (or could not be sent): its actor takes the next waiting submission or goes idle, and
    /// its result becomes readable out of order.</summary>
    private void Finished(PoolSubmission submission, ActorHandle<TActor>? actor)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (submission.UnreadNode is not null)
            {
                submission.FinishedNode = _finishedUnread.AddLast(submission);
            }

            signal = _finished;
            _finished = NewSignal();
        }

        signal.TrySetResult();
        if (actor is not null)
        {
            Release(actor);
        }
    }

    /// <summary>Gives <paramref name="actor"/> the waiting submissions until one starts, else makes it idle.</summary>
    private void Release(ActorHandle<TActor> actor)
    {
        while (true)
        {
            PoolSubmission next;
            lock (_lock)
            {
                if (!_members.Contains(actor))
                {
                    return;
                }

                if (!_waiting.TryDequeue(out next!))
                {
                    _idle.Add(actor);
                    return;
                }
            }

            if (next.Abandoned)
            {
                continue;
            }

            if (Start(next, actor, throwOnSubmitError: false))
            {
                return;
            }
        }
    }

    /// <summary>Marks <paramref name="submission"/> read, if no one did first.</summary>
    private bool TryRead(PoolSubmission submission)
    {
        lock (_lock)
        {
            if (submission.UnreadNode is null)
            {
                return false;
            }

            ReadLocked(submission);
            return true;
        }
    }

    private void ReadLocked(PoolSubmission submission)
    {
        _unread.Remove(submission.UnreadNode!);
        submission.UnreadNode = null;
        if (submission.FinishedNode is { } finished)
        {
            _finishedUnread.Remove(finished);
            submission.FinishedNode = null;
        }
    }

    private static InvalidOperationException NothingToRead() =>
        new("The actor pool has no result left to read: check HasNext, or submit first.");

    /// <summary>The error of a read that would wait for a call no actor can run.</summary>
    private static InvalidOperationException NoActors() =>
        new("The actor pool has no actors (PopIdle took them all): no call can run, so there is no result to wait for. " +
            "Add one with pool.Push(actor) first (calls waiting in the pool then run on it), or make the pool with its actors: " +
            $"new ActorPool<{typeof(TActor).Name}>(actors).");

    private static PoolSubmission<TResult> As<TResult>(PoolSubmission submission) =>
        submission as PoolSubmission<TResult> ?? throw new InvalidOperationException(
            $"The next result of the actor pool is a {submission.ResultType.Name}, not a {typeof(TResult).Name}: read it with that type.");

    private static async Task WaitAsync(Task task, TimeSpan? timeout, string what, CancellationToken cancellationToken, TimeSpan? reported = null)
    {
        try
        {
            await (timeout is { } t ? task.WaitAsync(t, cancellationToken) : task.WaitAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new GetTimeoutException(reported ?? timeout!.Value, what);
        }
        catch (Exception) when (task.IsFaulted || task.IsCanceled)
        {
            // The call failed: the caller reads it (and its error) once it is marked read.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
