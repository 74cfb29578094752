using OrleansRay.Internal;
using OrleansRay.Ownership;

namespace OrleansRay;

/// <summary>The refs of a streaming generator task's items, in order, as its function yields them (Ray's
/// <c>ObjectRefGenerator</c>, from a task submitted with <c>num_returns="streaming"</c>). Returned by
/// <see cref="StreamingTaskCall{T}.Remote"/> for a function returning <see cref="IAsyncEnumerable{T}"/> (or, through
/// <see cref="RayGeneratorExtensions.RemoteGenerator{T}"/>, <see cref="IEnumerable{T}"/>), and by
/// <see cref="StreamingActorCall{T}.Remote"/> for an actor method returning <see cref="IAsyncEnumerable{T}"/> (Ray's actor
/// generators; the producer is then that call of the actor, and cancelling cancels the call).</summary>
/// <remarks>
/// <para>Enumerate it once with <c>await foreach</c>: each ref arrives as soon as the producer yielded its item, long
/// before the producer finishes. Each item is an object the caller owns (as in Ray, the generator's caller owns its
/// returns): it lives while its ref does, and a large one is kept in the object store.</para>
/// <para>An exception the producer throws after yielding k items surfaces from the (k+1)-th <c>MoveNextAsync</c> as the
/// usual <see cref="RayTaskException"/>, after the k items. Cancelling stops the producer: <see cref="RayGeneratorExtensions.CancelAsync{T}"/>,
/// the enumerator's cancellation token (<c>WithCancellation</c>), or leaving the loop early (disposing the enumerator
/// before the end cancels the task and frees the items not taken). With <see cref="TaskOptions.GeneratorBackpressureNumObjects"/> (for an actor method,
/// <see cref="ActorCallOptions.GeneratorBackpressureNumObjects"/>)
/// the producer waits, without holding the caller, while that many items are produced and not yet consumed (an item is
/// consumed once the consumer asks for the next one or stops).</para>
/// <para>A generator dropped without being disposed gives its stream up when the garbage collector collects it (as
/// Ray's): its untaken items are freed and a producer held by backpressure stops.</para>
/// <para>When the node running the producer dies, the task runs again (<see cref="TaskOptions.MaxRetries"/>) and the
/// items this generator already received are not delivered twice.</para>
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
public sealed class ObjectRefGenerator<T> : IAsyncEnumerable<ObjectRef<T>>, IAsyncDisposable
{
    private readonly GeneratorStream _stream;
    private readonly ObjectRef<int> _end;
    private readonly WorkerId _owner;
    private readonly ObjectReader _reader;

    internal ObjectRefGenerator(GeneratorStream stream, WorkerId owner, ObjectReader reader)
    {
        _stream = stream;
        _owner = owner;
        _reader = reader;
        _end = new ObjectRef<int>(stream.End.Id, owner, reader);
    }

    /// <summary>The ref of the task's own return object: it completes with the number of items once the producer has
    /// finished (or fails with its error). <c>ray.CancelAsync</c> of it cancels the task, as of the generator.</summary>
    /// <remarks>After the loop was left early (<c>break</c>, the enumerator's token, <see cref="DisposeAsync"/>) or a
    /// cancel, a producer still running is cancelled and this ref fails with <see cref="TaskCancelledException"/>; a
    /// producer that had already finished keeps its count, the items never taken included. A generator dropped without
    /// disposing cancels nothing: this ref then gets the number of items the producer made.</remarks>
    public ObjectRef<int> Completion => _end;

    /// <summary>Starts the one enumeration of the items (a generator is consumed once).</summary>
    /// <param name="cancellationToken">Cancels a waiting <c>MoveNextAsync</c> and the producer with it.</param>
    /// <exception cref="InvalidOperationException">The generator was enumerated before.</exception>
    public IAsyncEnumerator<ObjectRef<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (!_stream.TryStart())
        {
            throw new InvalidOperationException("This ObjectRefGenerator was enumerated already: a streaming generator's items are consumed once (as Ray's). Keep the refs you need from the first enumeration.");
        }

        return new Enumerator(this, cancellationToken);
    }

    /// <summary>Stops consuming: a producer still running is cancelled and the items not taken are freed. The refs
    /// already taken stay valid. A <c>MoveNextAsync</c> waiting meanwhile (or called later) returns false: the end of
    /// the items, even if the producer yields one more.</summary>
    public ValueTask DisposeAsync()
    {
        _stream.Close(cancelProducer: true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>A generator dropped without <see cref="DisposeAsync"/> (never enumerated, or left mid-way without
    /// disposing its enumerator) gives its stream up when it is collected, as Ray deletes the stream of a collected
    /// <c>ObjectRefGenerator</c>: the items not taken are freed, items still to come are discarded, and a producer
    /// waiting for room (<see cref="TaskOptions.GeneratorBackpressureNumObjects"/>) stops and frees its resources. The
    /// producer is not cancelled: its <see cref="Completion"/>, if still held, gets the number of items it made.</summary>
    ~ObjectRefGenerator()
    {
        _stream.Close(cancelProducer: false);
    }

    private sealed class Enumerator : IAsyncEnumerator<ObjectRef<T>>
    {
        private readonly ObjectRefGenerator<T> _generator;
        private readonly CancellationToken _cancellationToken;
        private ObjectRef<T>? _current;

        public Enumerator(ObjectRefGenerator<T> generator, CancellationToken cancellationToken)
        {
            _generator = generator;
            _cancellationToken = cancellationToken;
        }

        public ObjectRef<T> Current => _current ?? throw new InvalidOperationException("Call MoveNextAsync first (and only read Current after it returned true).");

        public async ValueTask<bool> MoveNextAsync()
        {
            var stream = _generator._stream;
            (ObjectEntry? Item, RayError? Error) next;
            if (_cancellationToken.IsCancellationRequested)
            {
                // A cancelled consumer takes no more items, even ones already here (as ChannelReader.ReadAsync): the
                // loop ends where the consumer cancelled, not one item later.
                stream.Close(cancelProducer: true);
                _cancellationToken.ThrowIfCancellationRequested();
            }

            try
            {
                next = await stream.NextAsync(_cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                stream.Close(cancelProducer: true);
                throw;
            }

            if (next.Error is { } error)
            {
                _current = null;
                throw StoreErrors.ToException(error);
            }

            if (next.Item is not { } item)
            {
                _current = null;
                return false;
            }

            // The item's handle (taken by the stream when the item arrived) passes to this ref.
            _current = new ObjectRef<T>(item.Id, _generator._owner, _generator._reader);
            return true;
        }

        public ValueTask DisposeAsync() => _generator.DisposeAsync();
    }
}

/// <summary>A streaming generator task about to be submitted (Ray's <c>f.options(num_returns="streaming").remote()</c>):
/// set <see cref="Options"/>, then <see cref="Remote"/>. Made by <c>ray.Task(f, ...)</c> for a function returning
/// <see cref="IAsyncEnumerable{T}"/>.</summary>
/// <typeparam name="T">The type of the items the function yields.</typeparam>
public readonly struct StreamingTaskCall<T>
{
    private readonly IRay _ray;
    private readonly Delegate _function;
    private readonly TaskArg[] _args;
    private readonly TaskOptions? _options;

    internal StreamingTaskCall(IRay ray, Delegate function, TaskArg[] args, TaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentNullException.ThrowIfNull(function);
        _ray = ray;
        _function = function;
        _args = args;
        _options = options;
    }

    /// <summary>The same call with these options (resources, retries, <see cref="TaskOptions.GeneratorBackpressureNumObjects"/>...).</summary>
    public StreamingTaskCall<T> Options(TaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new StreamingTaskCall<T>(_ray, _function, _args, options);
    }

    /// <summary>Submits the task and returns its generator at once; the refs of its items arrive as it yields them.</summary>
    /// <exception cref="ArgumentException">The function captures state, an argument cannot be serialized, or the retry
    /// options are invalid (<see cref="TaskOptions.RetryExceptionTypes"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ObjectRefGenerator<T> Remote()
    {
        if (_ray is null)
        {
            throw new InvalidOperationException("This StreamingTaskCall was not created by ray.Task(...).");
        }

        var runtime = IRayRuntimeAccess.Of(_ray);
        runtime.ThrowIfDisposed();
        var function = runtime.ForJob(Execution.FunctionRegistry.ForDelegate(_function, "remote generator function"));
        var args = ArgumentPacker.Pack(runtime, _args, function.DisplayName);
        var options = _options ?? new TaskOptions();
        options.Validate();
        var (resources, placement) = options.ToPlacement();
        var stream = runtime.SubmitGenerator(
            function,
            args,
            resources,
            options.MaxRetries < 0 ? int.MaxValue : options.MaxRetries,
            options.ToExceptionRetry(),
            options.Name,
            _ray.Namespace,
            options.EnvVarsIfAny,
            placement,
            Math.Max(0, options.GeneratorBackpressureNumObjects));
        return new ObjectRefGenerator<T>(stream, runtime.WorkerId, runtime.Reader);
    }
}

/// <summary>Streaming generators beyond <c>ray.Task(f).Remote()</c>: cancelling one, and submitting a function that
/// returns a synchronous <see cref="IEnumerable{T}"/> as a generator.</summary>
public static class RayGeneratorExtensions
{
    /// <summary>Cancels a streaming generator task (Ray's <c>ray.cancel</c> of an <c>ObjectRefGenerator</c>): the producer's
    /// cancellation token fires and it is asked for no more items; the consumer's next <c>MoveNextAsync</c> after the
    /// items already received throws <see cref="TaskCancelledException"/>.</summary>
    /// <param name="ray">The runtime.</param>
    /// <param name="generator">The generator.</param>
    /// <param name="force">Abandon the running attempt at once (see <see cref="IRay.CancelAsync"/>); refused with
    /// <see cref="ArgumentException"/> for an actor's generator, as for any actor call.</param>
    /// <param name="recursive">Cancel the tasks the producer submitted too (true by default, as in Ray; see
    /// <see cref="IRay.CancelAsync"/>).</param>
    public static Task CancelAsync<T>(this IRay ray, ObjectRefGenerator<T> generator, bool force = false, bool recursive = true)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentNullException.ThrowIfNull(generator);
        return ray.CancelAsync(generator.Completion, force, recursive);
    }

    /// <summary>Submits a task whose function returns <see cref="IEnumerable{T}"/> (a synchronous iterator) as a
    /// streaming generator, instead of as one value: <c>ray.Task(f, x).RemoteGenerator()</c>. (A function returning
    /// <see cref="IAsyncEnumerable{T}"/> is a generator with plain <c>.Remote()</c>; an <see cref="IEnumerable{T}"/>
    /// result stays one value by default, since arrays and lists are enumerables too.)</summary>
    public static ObjectRefGenerator<T> RemoteGenerator<T>(this TaskCall<IEnumerable<T>> call) => call.ToStreaming<T>().Remote();
}
