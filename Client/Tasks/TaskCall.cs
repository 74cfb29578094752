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
    /// <exception cref="ArgumentException">The function captures state, or an argument cannot be serialized.</exception>
    /// <remarks>A function returning a tuple gives one ref of the whole tuple here (Ray's default <c>num_returns=1</c>);
    /// <c>.RemoteMany()</c> gives one ref per element instead (<see cref="MultipleReturnsExtensions"/>).</remarks>
    public ObjectRef<TResult> Remote() => Submit(1).Ref<TResult>(0);

    /// <summary>Submits the task with <paramref name="numReturns"/> return objects (Ray's <c>num_returns</c>).</summary>
    internal ReturnRefs Submit(int numReturns)
    {
        if (_ray is null)
        {
            throw new InvalidOperationException("This TaskCall was not created by ray.Task(...).");
        }

        var runtime = IRayRuntimeAccess.Of(_ray);
        runtime.ThrowIfDisposed();
        var function = runtime.ForJob(FunctionRegistry.ForDelegate(_function, "remote function"));
        var args = ArgumentPacker.Pack(runtime, _args, function.DisplayName);
        var options = _options;
        ResourceSet resources;
        int maxRetries;
        bool retryExceptions;
        string? name;
        PlacementHint placement;
        if (options is null)
        {
            resources = ResourceShape.OneCpu;
            maxRetries = 3;
            retryExceptions = false;
            name = null;
            placement = PlacementHint.Default;
        }
        else
        {
            options.Validate();
            resources = options.ToResourceSet();
            maxRetries = options.MaxRetries < 0 ? int.MaxValue : options.MaxRetries;
            retryExceptions = options.RetryExceptions;
            name = options.Name;
            placement = options.ToPlacementHint();
        }

        var entry = runtime.SubmitTask(function, args, resources, maxRetries, retryExceptions, name, _ray.Namespace, placement, numReturns, out var others);
        return new ReturnRefs(runtime, entry, others);
    }

    /// <summary>This call as a streaming generator of <typeparamref name="T"/> items (for <see cref="RayGeneratorExtensions.RemoteGenerator{T}"/>).</summary>
    internal StreamingTaskCall<T> ToStreaming<T>() => new(_ray, _function, _args, _options);
}
