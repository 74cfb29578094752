using OrleansRay.Internal;
using OrleansRay.Execution;

namespace OrleansRay;

/// <summary>A task about to be submitted: set <see cref="Options"/>, then <see cref="Remote"/>.</summary>
/// <typeparam name="TResult">The type of the task's result.</typeparam>
public readonly struct TaskCall<TResult>
{
    private readonly IRay _ray;
    private readonly Delegate _function;
    private readonly TaskArg[] _args;
    private readonly TaskOptions? _options;

    internal TaskCall(IRay ray, Delegate function, TaskArg[] args, TaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ray);
        ArgumentNullException.ThrowIfNull(function);
        _ray = ray;
        _function = function;
        _args = args;
        _options = options;
    }

    /// <summary>The same call with these options.</summary>
    public TaskCall<TResult> Options(TaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TaskCall<TResult>(_ray, _function, _args, options);
    }

    /// <summary>Submits the task and returns the ref of its result at once; failures surface when the result is read.</summary>
    /// <exception cref="ArgumentException">The function captures state, an argument cannot be serialized, or the function
    /// is an iterator (<c>yield return</c>): its sequence is computed as it is enumerated and cannot travel as one value;
    /// submit it with <see cref="RayGeneratorExtensions.RemoteGenerator{T}"/> to stream its items. Also: the options give
    /// both <see cref="TaskOptions.RetryExceptions"/> and <see cref="TaskOptions.RetryExceptionTypes"/>, or a listed type
    /// is not an exception type.</exception>
    /// <remarks>A function returning a tuple gives one ref of the whole tuple here (Ray's default <c>num_returns=1</c>);
    /// <c>.RemoteMany()</c> gives one ref per element instead (<see cref="MultipleReturnsExtensions"/>). A function
    /// declared to return an <see cref="IEnumerable{T}"/> that returns a collection (an array, a list) is one value here.</remarks>
    public ObjectRef<TResult> Remote()
    {
        if (ResultMayBeIterator && _function?.Method.IsDefined(typeof(System.Runtime.CompilerServices.IteratorStateMachineAttribute), inherit: false) == true)
        {
            throw new ArgumentException(
                $"The remote function '{_function.Method.Name}' is an iterator (yield return): its {typeof(TResult).Name} is computed as it is enumerated and cannot be sent as one value. " +
                "Stream its items with ray.Task(f, ...).RemoteGenerator() instead of .Remote(), or return an array or list.");
        }

        return Submit(1).Ref<TResult>(0);
    }

    /// <summary>True when <typeparamref name="TResult"/> is an enumerable interface a <c>yield return</c> method returns
    /// (only then is the function's iterator attribute read).</summary>
    private static readonly bool ResultMayBeIterator = typeof(TResult).IsInterface
        && (typeof(System.Collections.IEnumerable).IsAssignableFrom(typeof(TResult)) || typeof(System.Collections.IEnumerator).IsAssignableFrom(typeof(TResult)));

    /// <summary>Submits the task with <paramref name="numReturns"/> return objects (Ray's <c>num_returns</c>).</summary>
    internal ReturnRefs Submit(int numReturns)
    {
        if (_ray is null)
        {
            throw new InvalidOperationException("This TaskCall was not created by ray.Task(...).");
        }

        var runtime = IRayRuntimeAccess.Live(_ray);
        var function = runtime.ForJob(FunctionRegistry.ForDelegate(_function, "remote function"));
        var args = ArgumentPacker.Pack(runtime, _args, function.DisplayName);
        var options = _options;
        ResourceSet resources;
        int maxRetries;
        Scheduling.ExceptionRetry? retryExceptions;
        string? name;
        PlacementHint placement;
        if (options is null)
        {
            (resources, placement) = ResourceShape.Place(ResourceShape.OneCpu, group: null, bundleIndex: -1, captureChildTasks: false, strategy: null, nameof(TaskOptions));
            maxRetries = 3;
            retryExceptions = null;
            name = null;
        }
        else
        {
            options.Validate();
            (resources, placement) = options.ToPlacement();
            maxRetries = options.MaxRetries < 0 ? int.MaxValue : options.MaxRetries;
            retryExceptions = options.ToExceptionRetry();
            name = options.Name;
        }

        var entry = runtime.SubmitTask(function, args, resources, maxRetries, retryExceptions, name, _ray.Namespace, options?.EnvVarsIfAny, placement, numReturns, out var others);
        return new ReturnRefs(runtime, entry, others);
    }

    /// <summary>This call as a streaming generator of <typeparamref name="T"/> items (for <see cref="RayGeneratorExtensions.RemoteGenerator{T}"/>).</summary>
    internal StreamingTaskCall<T> ToStreaming<T>() => new(_ray, _function, _args, _options);
}
