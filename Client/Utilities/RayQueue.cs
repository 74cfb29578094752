using System.Diagnostics;
using OrleansRay.Internal;

namespace OrleansRay;

/// <summary>A first-in, first-out queue shared by tasks, actors and drivers across the cluster, held by an actor
/// (Ray's <c>ray.util.queue.Queue</c>): <c>var q = RayQueue&lt;Job&gt;.Create(ray, maxSize: 100);</c>, then
/// <see cref="PutAsync"/> and <see cref="GetAsync"/> from anywhere the handle travels.</summary>
/// <typeparam name="T">The items' type: serializable, like any task argument.</typeparam>
/// <remarks>
/// <para>Serializable: pass it to tasks and actors (a producer task and a consumer task share one queue); every copy
/// talks to the same actor. The actor lives as an actor created by the caller of <see cref="Create"/> does: by default
/// until that driver ends, or until <see cref="ShutdownAsync"/>.</para>
/// <para>Items come out in the order they went in. Puts from one caller keep their order when each is awaited
/// before the next (as usual); puts not awaited, like concurrent puts from several callers, are ordered as they reach
/// the actor. A batch is put and taken as a whole, in its order.</para>
/// <para>How waiting works: a blocking get or put waits inside the queue actor asynchronously (the actor runs its
/// calls concurrently, <see cref="ActorConcurrency"/>, so a waiting get holds no thread and does not stop the put
/// that will satisfy it), in rounds of at most one second that the caller repeats until its timeout. Rounds, rather
/// than one call that waits as long as the caller does, because the actor never hands an item to a caller that has
/// gone: a waiting call ends within a second of its caller's death. A cancelled caller sends no further round and
/// reads the running one's result (within that second), so an item taken, or put, in the instant of cancelling counts:
/// a get returns it, a put completes. So an item is lost only if its taker dies in the instant between taking and
/// reading, as in Ray. The cost is one actor call a second per waiting caller
/// (docs/adr/0016-queue-waits-in-bounded-rounds.md).</para>
/// <para>Differences from Ray: no <c>block</c> flag, the <c>Nowait</c> methods are the non-blocking forms; sizes and
/// state are asynchronous queries, the queue being remote. A <c>maxSize</c> of 0 or less is no bound, as Ray's
/// <c>maxsize &lt;= 0</c>, but <see cref="MaxSize"/> then reads 0 where Ray's <c>maxsize</c> keeps the value given.</para>
/// </remarks>
[GenerateSerializer, Immutable, Alias("orleansray.RayQueue`1")]
public sealed class RayQueue<T>
{
    /// <summary>Calls the queue's actor runs at once: Ray's default <c>max_concurrency</c> of async actors. Waiting
    /// gets and puts each take one, so up to this many callers can wait on one queue and leave room for the rest.</summary>
    public const int ActorConcurrency = 1000;

    /// <summary>The longest a waiting call stays in the actor before its caller asks again (see the remarks).</summary>
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(1);

    internal RayQueue(ActorHandle<QueueActor> actor, int maxSize)
    {
        Actor = actor;
        MaxSize = maxSize;
    }

    /// <summary>The actor holding the items.</summary>
    [Id(0)] internal ActorHandle<QueueActor> Actor { get; private set; }

    /// <summary>The most items the queue holds; 0 for no bound (Ray's <c>maxsize</c>; a <c>maxSize</c> below 0 given to
    /// <see cref="Create"/> reads 0 here).</summary>
    [Id(1)] public int MaxSize { get; private set; }

    /// <summary>Creates a queue, an actor underneath, and returns its handle at once (Ray's <c>Queue(maxsize, actor_options)</c>).</summary>
    /// <param name="ray">The instance that creates the actor (a driver's, or <see cref="Ray.Current"/> in a task).</param>
    /// <param name="maxSize">The most items it holds; puts wait (or fail) while it is full. 0 (the default) or less: no
    /// bound, as Ray's <c>maxsize &lt;= 0</c>; <see cref="MaxSize"/> is then 0.</param>
    /// <param name="actorOptions">Options of the queue's actor: name, lifetime, resources, placement, restarts. Default:
    /// an unnamed actor of the caller's job that holds no resources. Its MaxConcurrency is raised to at least
    /// <see cref="ActorConcurrency"/>: the queue needs it for waiting calls. A restarted queue actor starts empty.</param>
    /// <exception cref="ArgumentException">The options are invalid, or the name is taken.</exception>
    public static RayQueue<T> Create(IRay ray, int maxSize = 0, ActorOptions? actorOptions = null)
    {
        ArgumentNullException.ThrowIfNull(ray);
        maxSize = Math.Max(maxSize, 0); // Ray's Queue(maxsize <= 0) is unbounded; 0 is this queue's one "no bound"
        // The caller's options, copied (theirs stay as they were), with the concurrency waiting calls need.
        var options = actorOptions?.Copy() ?? new ActorOptions();
        options.MaxConcurrency = Math.Max(options.MaxConcurrency ?? 1, ActorConcurrency);
        var actor = ray.Actor(() => new QueueActor(maxSize)).Options(options).Remote();
        return new RayQueue<T>(actor, maxSize);
    }

    /// <summary>Adds <paramref name="item"/> at the end, waiting while the queue is full (Ray's <c>put</c>).</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">How long to wait for room; null (the default) waits as long as it takes.</param>
    /// <param name="cancellationToken">Stops waiting, within a second (the actor's current round ends first); the item is
    /// then not put, unless the round put it at that very moment, in which case the put completes normally.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled and the item was not put.</exception>
    /// <exception cref="QueueFullException">No room within <paramref name="timeout"/>.</exception>
    /// <exception cref="ActorDiedException">The queue was shut down or its actor died.</exception>
    public Task PutAsync(T item, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync([item], CheckTimeout(timeout), cancellationToken);

    /// <summary>Adds <paramref name="item"/> at the end if there is room now (Ray's <c>put_nowait</c>).</summary>
    /// <exception cref="QueueFullException">The queue is full.</exception>
    public Task PutNowaitAsync(T item) => PutCoreAsync([item], TimeSpan.Zero, CancellationToken.None);

    /// <summary>Adds all of <paramref name="items"/> at the end, in their order, if there is room for all of them now,
    /// else none (Ray's <c>put_nowait_batch</c>).</summary>
    /// <exception cref="QueueFullException">There is not room for all of them.</exception>
    public Task PutNowaitBatchAsync(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return PutCoreAsync(items.Select(i => (object?)i).ToArray(), TimeSpan.Zero, CancellationToken.None, nameof(items));
    }

    /// <summary>Removes and returns the first item, waiting while the queue is empty (Ray's <c>get</c>).</summary>
    /// <param name="timeout">How long to wait for an item; null (the default) waits as long as it takes.</param>
    /// <param name="cancellationToken">Stops waiting, within a second (the actor's current round ends first); no item is
    /// taken, unless one was taken at that very moment, which is then returned.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled and no item was taken.</exception>
    /// <exception cref="QueueEmptyException">No item within <paramref name="timeout"/>.</exception>
    /// <exception cref="ActorDiedException">The queue was shut down or its actor died.</exception>
    public async Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (T)(await TakeCoreAsync(1, CheckTimeout(timeout), cancellationToken).ConfigureAwait(false))[0]!;

    /// <summary>Removes and returns the first item if there is one now (Ray's <c>get_nowait</c>).</summary>
    /// <exception cref="QueueEmptyException">The queue is empty.</exception>
    public async Task<T> GetNowaitAsync() =>
        (T)(await TakeCoreAsync(1, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false))[0]!;

    /// <summary>Removes and returns the first <paramref name="count"/> items if there are that many now, else none
    /// (Ray's <c>get_nowait_batch</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="QueueEmptyException">There are fewer than <paramref name="count"/> items.</exception>
    public async Task<IReadOnlyList<T>> GetNowaitBatchAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return [];
        }

        var taken = await TakeCoreAsync(count, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        return Array.ConvertAll(taken, item => (T)item!);
    }

    /// <summary>The number of items in the queue now (Ray's <c>size</c>/<c>qsize</c>).</summary>
    public async Task<int> SizeAsync() => await Actor.Task(QueueActor.Size).Remote().ConfigureAwait(false);

    /// <summary>Whether the queue holds no item now (Ray's <c>empty</c>).</summary>
    public async Task<bool> IsEmptyAsync() => await SizeAsync().ConfigureAwait(false) == 0;

    /// <summary>Whether a bounded queue holds <see cref="MaxSize"/> items now (Ray's <c>full</c>); never for an unbounded one.</summary>
    public async Task<bool> IsFullAsync() => MaxSize > 0 && await SizeAsync().ConfigureAwait(false) >= MaxSize;

    /// <summary>Kills the queue's actor (Ray's <c>shutdown</c>): its items are dropped, calls waiting on it and every
    /// later call raise <see cref="ActorDiedException"/>. A second shutdown is harmless.</summary>
    public Task ShutdownAsync() => RayOf(Actor).KillAsync(Actor);

    private async Task PutCoreAsync(object?[] items, TimeSpan? timeout, CancellationToken cancellationToken, string paramName = "item")
    {
        if (MaxSize > 0 && items.Length > MaxSize)
        {
            throw new QueueFullException($"A batch of {items.Length} items never fits a queue of at most {MaxSize}; put it in parts.");
        }

        if (items.Length == 0)
        {
            return;
        }

        bool put;
        try
        {
            put = await RoundsAsync(wait => Actor.Task(QueueActor.Put, items, wait).Remote(), put => put, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.Data.Contains(Code.JobSerializer.UnserializableKey))
        {
            // Named as the caller wrote it, not as the queue's actor call (QueueActor.Put of an object[]).
            throw new ArgumentException(
                $"An item put into RayQueue<{typeof(T).Name}> cannot be serialized: items travel to the queue's actor. {Code.JobSerializer.SerializableTypes} ({ex.InnerException?.Message})", paramName, ex);
        }

        if (!put)
        {
            throw new QueueFullException(timeout == TimeSpan.Zero
                ? $"The queue is full ({MaxSize} items)."
                : $"The queue stayed full ({MaxSize} items) for {timeout!.Value.TotalSeconds:0.###} s.");
        }
    }

    private async Task<object?[]> TakeCoreAsync(int count, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var taken = await RoundsAsync(wait => Actor.Task(QueueActor.Take, count, wait).Remote(), items => items.Length > 0, timeout, cancellationToken).ConfigureAwait(false);
        return taken.Length > 0 ? taken : throw new QueueEmptyException(timeout == TimeSpan.Zero
            ? count == 1 ? "The queue is empty." : $"The queue holds fewer than {count} items."
            : $"The queue stayed empty for {timeout!.Value.TotalSeconds:0.###} s.");
    }

    /// <summary>Sends rounds (each waiting in the actor for at most <see cref="Round"/>) until one <paramref name="succeeded"/>
    /// or <paramref name="timeout"/> has passed here; returns the last round's result.</summary>
    /// <remarks>The caller's token does not cancel the running round: a cancelled actor call's result is dropped at once,
    /// while the actor may already have taken an item (or put the caller's) in it. The round is awaited instead (it ends
    /// within its bound of a second) and counts if it succeeded; otherwise no further round is sent and the wait ends
    /// with <see cref="OperationCanceledException"/>.</remarks>
    private async Task<TResult> RoundsAsync<TResult>(Func<TimeSpan, ObjectRef<TResult>> send, Func<TResult, bool> succeeded, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var left = timeout is { } t ? t - clock.Elapsed : Round;
            var wait = left <= TimeSpan.Zero ? TimeSpan.Zero : left < Round ? left : Round;
            var result = await send(wait).ConfigureAwait(false);

            // A round that succeeded counts even when the caller cancelled meanwhile: its item is not dropped.
            if (succeeded(result))
            {
                return result;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (timeout is { } limit && clock.Elapsed >= limit)
            {
                return result;
            }
        }
    }

    private static IRay RayOf(ActorHandle<QueueActor> actor) => actor.BoundRay ?? Ray.CurrentOrNodeOfTask;

    private static TimeSpan? CheckTimeout(TimeSpan? timeout) => Timeouts.Check(timeout);
}
