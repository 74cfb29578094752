using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Actors;
using OrleansRay.Functions;
using OrleansRay.Objects;
using OrleansRay.Scheduling;

namespace OrleansRay.Runtime;

/// <summary>One node's runtime: the objects it owns, its scheduler engine, its worker threads, and its actor outboxes.</summary>
/// <remarks>
/// One per silo (a singleton in the silo's services). The embedded driver shares it, so local submission reaches the
/// scheduler engine with a method call, not a serialized message (the hot-path budget of the design notes).
/// </remarks>
internal sealed partial class NodeRuntime : IDisposable
{
    private static readonly ConcurrentDictionary<WorkerId, NodeRuntime> Local = new();

    private readonly ILogger<NodeRuntime> _logger;
    private volatile bool _disposed;

    public NodeRuntime(NodeRuntimeOptions options, IGrainFactory grainFactory, ValueCopier copier, ILogger<NodeRuntime> logger, LocalObjectStore? store = null)
    {
        Options = options;
        GrainFactory = grainFactory;
        Copier = copier;
        _logger = logger;
        WorkerId = WorkerId.NewId();
        Store = store;
        Objects = new ObjectTable { Store = store };
        Pool = new WorkerPool("orleansray-worker", Math.Max(1, options.MinWorkerThreads), options.MaxWorkerThreads);
        Scheduler = new SchedulerEngine(options.Resources, logger)
        {
            LeaseRunner = lease => Pool.Run(() => Scheduler!.RunLoopAsync(lease)),
            TaskRunner = RunTaskAsync,
        };
        Actors = new ActorSubmitter(this);
        Local[WorkerId] = this;
    }

    /// <summary>The worker id that owns this node's objects and stamps its actor calls.</summary>
    public WorkerId WorkerId { get; }

    /// <summary>The silo address text of this node (set once the silo has started).</summary>
    public NodeId NodeId { get; set; }

    public NodeRuntimeOptions Options { get; }

    public IGrainFactory GrainFactory { get; }

    public ValueCopier Copier { get; }

    public ObjectTable Objects { get; }

    /// <summary>The node's object store (values above the inline threshold), or null when the node has none.</summary>
    public LocalObjectStore? Store { get; }

    public SchedulerEngine Scheduler { get; }

    /// <summary>The latest finished tasks, in bounded memory (the dashboard's Tasks page).</summary>
    public Diagnostics.TaskEventLog Events { get; } = new();

    public WorkerPool Pool { get; }

    public ActorSubmitter Actors { get; }

    public bool IsDisposed => _disposed;

    /// <summary>The runtime in this process that owns objects of <paramref name="owner"/>, if any.</summary>
    public static bool TryGetLocal(WorkerId owner, out NodeRuntime runtime) => Local.TryGetValue(owner, out runtime!);

    /// <summary>Submits a task owned by this node; returns its pending return entry.</summary>
    public ObjectEntry SubmitTask(CompiledFunction function, TaskArg[] args, ResourceSet resources, int maxRetries, bool retryExceptions, string? name)
    {
        ThrowIfDisposed();
        var taskId = TaskId.NewId();
        var entry = Objects.Create(new ObjectId(taskId.Hi, taskId.Lo));
        var spec = new TaskSpec(taskId, function, args, resources, entry, Scheduler)
        {
            MaxRetries = maxRetries,
            RetryExceptions = retryExceptions,
            Name = name,
        };
        entry.Producer = spec;
        Scheduler.Submit(spec, Objects);
        return entry;
    }

    /// <summary>Stores a value (already copied in) as a new object owned by this node.</summary>
    public ObjectEntry Put(object? value)
    {
        ThrowIfDisposed();
        var entry = Objects.Create(ObjectId.NewId());
        entry.TrySetInlineValue(value);
        return entry;
    }

    /// <summary>Records an object already sealed in the node's object store as a new object owned by this node.</summary>
    public ObjectEntry PutStored(ObjectId id, StoredObject stored)
    {
        ObjectEntry entry;
        try
        {
            ThrowIfDisposed();
            entry = Objects.Create(id);
        }
        catch
        {
            Store?.Delete(stored.StoreId);
            throw;
        }

        entry.TrySetStored(stored);
        return entry;
    }

    /// <summary>Waits for an object; null when <paramref name="timeout"/> passed first. Inside a task the task's
    /// resources are handed back while it waits.</summary>
    public async ValueTask<bool> WaitForAsync(ObjectEntry entry, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (entry.IsComplete)
        {
            return true;
        }

        var lease = TaskContext.Current?.Lease;
        if (lease is not null)
        {
            Scheduler.ReleaseWhileBlocked(lease);
        }

        try
        {
            var completion = entry.WhenComplete();
            if (timeout is { } t)
            {
                try
                {
                    await completion.WaitAsync(t, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return false;
                }
            }
            else
            {
                await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        finally
        {
            if (lease is not null)
            {
                Scheduler.ReacquireAfterBlocked(lease);
            }
        }
    }

    /// <summary>Resolves a call's arguments: inline values as they are, object arguments copied out of their entries.</summary>
    /// <returns>null on success; otherwise the error to report (a failed argument propagates its error).</returns>
    public RayError? ResolveArguments(TaskArg[] args, object?[] target, int offset, string functionName)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.IsRef)
            {
                target[offset + i] = arg.Value;
                continue;
            }

            if (!Objects.TryGet(arg.RefId, out var entry) || !entry.IsComplete)
            {
                return RayError.Create(RayErrorKind.ObjectLost, $"Argument object {arg.RefId} of {functionName} is not available on this node.", functionName);
            }

            if (entry.IsFailed)
            {
                return entry.Error;
            }

            if (entry.StoredObject is { } stored)
            {
                if (ReadStored(stored, arg.RefId, functionName, out var value) is { } readError)
                {
                    return readError;
                }

                target[offset + i] = value;
                continue;
            }

            target[offset + i] = Copier.CopyOut(entry.Value);
        }

        return null;
    }

    /// <summary>Copies an argument out of the node's object store (a fresh value: the function may mutate it).</summary>
    private RayError? ReadStored(StoredObject stored, ObjectId id, string functionName, out object? value)
    {
        value = null;
        if (Store is not { } store)
        {
            return RayError.Create(RayErrorKind.ObjectLost, $"Argument object {id} of {functionName} is in an object store this node no longer has.", functionName);
        }

        try
        {
            value = store.Read(stored);
            return null;
        }
        catch (Exception ex)
        {
            LogStoredArgumentUnreadable(_logger, id, functionName, ex);
            return ex is ObjectStore.ObjectStoreFullException
                ? RayError.FromException(ex, functionName)
                : RayError.Create(RayErrorKind.ObjectLost, $"Argument object {id} of {functionName} could not be read from the node's object store: {ex.Message}", functionName);
        }
    }

    /// <summary>Runs one task under <paramref name="lease"/> on a worker thread; synchronous functions complete inline.</summary>
    private ValueTask RunTaskAsync(TaskSpec spec, Lease lease)
    {
        if (spec.Cancelled || spec.Result.IsComplete)
        {
            return default;
        }

        spec.Attempt++;
        spec.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var args = spec.Args.Length == 0 ? Array.Empty<object?>() : new object?[spec.Args.Length];
        var argError = ResolveArguments(spec.Args, args, 0, spec.DisplayName);
        if (argError is not null)
        {
            Finish(spec, null, argError);
            return default;
        }

        var previous = TaskContext.Current;
        TaskContext.Current = new TaskContext(this, spec.DisplayName, spec.Cancelled ? new CancellationToken(true) : CancellationToken.None, lease) { Spec = spec };
        ValueTask<object?> pending;
        try
        {
            pending = spec.Function.InvokeAsync(args);
            if (pending.IsCompletedSuccessfully)
            {
                Finish(spec, pending.Result, null);
                return default;
            }
        }
        catch (Exception ex)
        {
            Fail(spec, ex);
            return default;
        }
        finally
        {
            TaskContext.Current = previous;
        }

        return AwaitTaskAsync(spec, pending);
    }

    private async ValueTask AwaitTaskAsync(TaskSpec spec, ValueTask<object?> pending)
    {
        try
        {
            var value = await pending;
            Finish(spec, value, null);
        }
        catch (Exception ex)
        {
            Fail(spec, ex);
        }
    }

    private void Fail(TaskSpec spec, Exception exception)
    {
        if (spec.RetryExceptions && spec.Attempt <= spec.MaxRetries && !spec.Cancelled)
        {
            LogTaskRetry(_logger, spec.DisplayName, spec.Attempt, exception.Message);
            spec.State = TaskSpec.Waiting;
            Scheduler.Enqueue(spec);
            return;
        }

        Finish(spec, null, RayError.FromException(exception, spec.DisplayName));
    }

    private void Finish(TaskSpec spec, object? value, RayError? error)
    {
        spec.State = TaskSpec.Done;
        spec.RunningLease = null;
        if (error is null)
        {
            spec.Result.TrySetValue(value);
        }
        else
        {
            spec.Result.TrySetError(error);
        }

        Scheduler.RecordFinished(error is not null);
        Events.Record(new Diagnostics.TaskEvent(spec.Id, spec.DisplayName, NodeId.Value ?? string.Empty, DateTimeOffset.UtcNow,
            spec.StartedAt == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(spec.StartedAt),
            error is null ? null : $"{error.ExceptionType}: {error.Message}"));
        Objects.DropIfOrphaned(spec.Result);
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the node has shut down.</summary>
    public void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(NodeRuntime), "The OrleansRay node has shut down.");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Local.TryRemove(WorkerId, out _);
        Objects.Clear(RayError.Create(RayErrorKind.ObjectLost, "The OrleansRay node that owned this object shut down."));
        Pool.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Argument object {ObjectId} of {FunctionName} could not be read from the node's object store")]
    private static partial void LogStoredArgumentUnreadable(ILogger logger, ObjectId objectId, string functionName, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {FunctionName} failed on attempt {Attempt} and will be retried: {Reason}")]
    private static partial void LogTaskRetry(ILogger logger, string functionName, int attempt, string reason);
}
