using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansRay.Actors;
using OrleansRay.Scheduling;
using OrleansRay.Execution;
using OrleansRay.Ownership;
using OrleansRay.Placement;
using OrleansRay.Transport;

namespace OrleansRay.Node;

/// <summary>One node's runtime: the objects it owns, its scheduler engine, its worker threads, and its actor outboxes.</summary>
/// <remarks>
/// One per silo (a singleton in the silo's services). The embedded driver shares it, so local submission reaches the
/// scheduler engine with a method call, not a serialized message (the hot-path budget of the design notes).
/// </remarks>
internal sealed partial class NodeRuntime : IDisposable, ITaskRunner, IArgumentSource
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
        Objects = new ObjectTable { Store = store, FreeRemote = FreeRemote, Freed = id => _held.TryRemove(id, out _) };
        Pool = new WorkerPool("orleansray-worker", Math.Max(1, options.MinWorkerThreads), options.MaxWorkerThreads);
        // The cluster scheduler is the engine's placer: made first, it places nothing elsewhere until JoinCluster starts it.
        Cluster = new ClusterScheduler(this, logger);
        Scheduler = new SchedulerEngine(options.Resources, Pool, runner: this, arguments: this, placer: Cluster, logger);
        Actors = new ActorSubmitter(this, logger);
        Local[WorkerId] = this;
    }

    /// <summary>False for a connected driver: it owns objects and submits work but runs none.</summary>
    public bool CanExecute => Options.CanExecute;

    /// <summary>This runtime's endpoint reference (set when it joins a cluster; null before).</summary>
    public Grains.INodeEndpoint? Endpoint { get; private set; }

    /// <summary>The object behind <see cref="Endpoint"/>, kept alive here (Orleans holds observers weakly).</summary>
    private NodeEndpoint? _endpointTarget;

    /// <summary>Placement across the cluster, and the view of the other nodes.</summary>
    public ClusterScheduler Cluster { get; }

    private readonly ConcurrentDictionary<TaskId, TaskSpec> _foreign = new();
    private readonly ConcurrentDictionary<Grains.INodeEndpoint, SendPump<RemoteResult>> _replies = new();

    /// <summary>Joins the cluster: creates this runtime's endpoint, places owned tasks through the cluster scheduler,
    /// and starts refreshing the view of the other nodes.</summary>
    public void JoinCluster()
    {
        if (Endpoint is not null)
        {
            return;
        }

        _endpointTarget = new NodeEndpoint(this);
        Endpoint = GrainFactory.CreateObjectReference<Grains.INodeEndpoint>(_endpointTarget);
        Objects.Endpoint = Endpoint;
        Cluster.Start();
    }

    /// <summary>True when work may run in another process (a connected driver, or a node with other nodes): object
    /// arguments then travel as values.</summary>
    public bool IsClustered => !CanExecute || Cluster.Nodes.Count > 0;

    /// <summary>This node's row for the node table.</summary>
    public NodeStatus LocalStatus()
    {
        var demands = Scheduler.Demands();
        var parked = Cluster.ParkedDemands();
        if (parked.Count > 0)
        {
            demands = demands.Concat(parked).ToList();
        }

        return new NodeStatus(NodeId, NodeId.Value ?? string.Empty, IsAlive: !IsDisposed, Scheduler.Total, Scheduler.Available(), demands, DateTimeOffset.UtcNow)
        {
            Endpoint = Endpoint,
        };
    }

    /// <summary>Runs tasks another owner sent here; their results go back to <paramref name="replyTo"/>.</summary>
    public void RunForeign(Grains.INodeEndpoint replyTo, RemoteTask[] tasks)
    {
        foreach (var task in tasks)
        {
            var result = new ObjectEntry(task.ReturnId);
            CompiledFunction function;
            try
            {
                ThrowIfDisposed();
                function = FunctionRegistry.Resolve(task.Function);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var name = task.Name ?? task.Function.DisplayName;
                var error = ex is FunctionUnavailableException
                    ? RayError.Create(RayErrorKind.FunctionUnavailable, $"{ex.Message} (node {NodeId})", name)
                    : RayError.FromException(ex, name);
                Reply(replyTo, new RemoteResult { ObjectId = task.ReturnId, TaskId = task.Id, Error = error, Node = NodeId.Value ?? string.Empty });
                continue;
            }

            var spec = new TaskSpec(task.Id, function, task.Args, task.Resources, result, Scheduler)
            {
                MaxRetries = task.MaxRetries,
                RetryExceptions = task.RetryExceptions,
                Name = task.Name,
                ReplyTo = replyTo,
            };
            spec.Attempt = task.PreviousAttempts;
            if (!_foreign.TryAdd(task.Id, spec))
            {
                continue; // the same attempt sent twice (a retried send): it runs once
            }

            Interlocked.Increment(ref _foreignReceived);
            Scheduler.EnqueueHere(spec);
        }
    }

    private long _foreignReceived;

    /// <summary>Tasks other owners sent to this node so far.</summary>
    public long ForeignReceived => Interlocked.Read(ref _foreignReceived);

    /// <summary>Cancels a task this node runs for another owner.</summary>
    public void CancelForeign(TaskId taskId, bool force)
    {
        if (_foreign.TryGetValue(taskId, out var spec))
        {
            spec.Cancel(force);
        }
    }

    /// <summary>Results of work this runtime owns, from the nodes that ran it.</summary>
    public void DeliverResults(RemoteResult[] results)
    {
        foreach (var result in results)
        {
            if (!result.TaskId.IsEmpty && Cluster.TryComplete(result))
            {
                continue;
            }

            if (result.TaskId.IsEmpty && Objects.TryGet(result.ObjectId, out var entry))
            {
                if (result.Error is { } error)
                {
                    entry.TrySetError(error);
                }
                else
                {
                    entry.TrySetValue(result.Value);
                }

                Objects.DropIfOrphaned(entry);
            }
        }
    }

    /// <summary>Chunk size of remote reads: large enough to amortize a call, far below Orleans' message limit.</summary>
    private const int HeldChunk = 4 << 20;

    private readonly ConcurrentDictionary<ObjectId, byte[]> _held = new();

    /// <summary>Bytes of values this node holds for remote owners.</summary>
    public long HeldBytes => _held.Values.Sum(static b => (long)b.Length);

    private long _fetchedBytes;
    private long _servedBytes;
    private long _actorCallsRun;

    /// <summary>Bytes fetched from holders on other nodes.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetchedBytes);

    /// <summary>Bytes served to readers on other nodes.</summary>
    public long ServedBytes => Interlocked.Read(ref _servedBytes);

    /// <summary>Actor calls run on this node.</summary>
    public long ActorCallsRun => Interlocked.Read(ref _actorCallsRun);

    /// <summary>Counts one actor call run here.</summary>
    public void RecordActorCall() => Interlocked.Increment(ref _actorCallsRun);

    /// <summary>A chunk of a held value (empty when not held).</summary>
    public byte[] ReadHeld(ObjectId id, long offset, int count)
    {
        if (!_held.TryGetValue(id, out var bytes) || offset < 0 || offset >= bytes.Length || count <= 0)
        {
            return Array.Empty<byte>();
        }

        var length = (int)Math.Min(Math.Min(count, HeldChunk), bytes.Length - offset);
        Interlocked.Add(ref _servedBytes, length);
        return bytes.AsSpan((int)offset, length).ToArray();
    }

    /// <summary>The owners freed these values.</summary>
    public void FreeHeld(ObjectId[] ids)
    {
        foreach (var id in ids)
        {
            _held.TryRemove(id, out _);
        }
    }

    private void FreeRemote(RemoteObject remote) => _ = FreeRemoteAsync(remote);

    private async Task FreeRemoteAsync(RemoteObject remote)
    {
        try
        {
            await remote.Holder.FreeHeldAsync([remote.Id]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The holder is gone, and the value with it.
        }
    }

    /// <summary>A value above the inline threshold stays here and its owner gets a <see cref="RemoteObject"/>.</summary>
    private object? HoldIfLarge(ObjectId id, object? value)
    {
        if (Endpoint is null || !LocalObjectStore.IsLarge(value, Options.InlineThreshold))
        {
            return value;
        }

        var bytes = Copier.Serializer.SerializeToArray<object?>(value);
        _held[id] = bytes;
        return new RemoteObject { Id = id, Holder = Endpoint, Node = NodeId.Value ?? string.Empty, Size = bytes.Length };
    }

    /// <summary>How long an owner holds a borrower's read open before answering "pending" (below Orleans' 30 s call
    /// timeout; the borrower asks again).</summary>
    private static readonly TimeSpan BorrowWait = TimeSpan.FromSeconds(15);

    /// <summary>Answers a borrower's read of an object this runtime owns.</summary>
    public async Task<RemoteResult> WaitObjectForBorrowerAsync(ObjectId id)
    {
        if (!Objects.TryGet(id, out var entry))
        {
            return new RemoteResult { ObjectId = id, Error = RayError.Create(RayErrorKind.ObjectLost, $"Object {id} no longer exists at its owner: every reference to it was released, or its owner restarted.") };
        }

        if (!await WaitForAsync(entry, BorrowWait, CancellationToken.None).ConfigureAwait(false))
        {
            return new RemoteResult { ObjectId = id, Pending = true };
        }

        if (entry.IsFailed)
        {
            return new RemoteResult { ObjectId = id, Error = entry.Error };
        }

        object? value;
        if (entry.StoredObject is { } stored)
        {
            if (ReadStored(stored, id, "a borrowed read", out value) is { } error)
            {
                return new RemoteResult { ObjectId = id, Error = error };
            }
        }
        else
        {
            value = entry.Value;
        }

        return new RemoteResult { ObjectId = id, Value = value is RemoteObject ? value : HoldIfLarge(id, value), Node = NodeId.Value ?? string.Empty };
    }

    /// <summary>Completes <paramref name="entry"/> (a ref borrowed from another process) with the owner's answer.</summary>
    public void FetchBorrowed(ObjectEntry entry, Grains.INodeEndpoint owner) => _ = FetchBorrowedAsync(entry, owner);

    private async Task FetchBorrowedAsync(ObjectEntry entry, Grains.INodeEndpoint owner)
    {
        while (!entry.IsComplete)
        {
            RemoteResult answer;
            try
            {
                answer = await owner.WaitObjectAsync(entry.Id).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                entry.TrySetError(RayError.Create(RayErrorKind.ObjectLost, $"Object {entry.Id} is owned by a process that cannot be reached ({ex.GetType().Name}: {ex.Message}); it is lost with its owner."));
                return;
            }

            if (answer.Pending)
            {
                continue;
            }

            if (answer.Error is { } error)
            {
                entry.TrySetError(error);
            }
            else
            {
                entry.TrySetInlineValue(answer.Value);
            }
        }
    }

    /// <summary>The actors this node hosts (and a bounded tail of dead ones), for the dashboard.</summary>
    public Actors.HostedActorRegistry HostedActors { get; } = new();

    /// <summary>Reads the node's object store figures when the store is not the runtime's own (a CLI node's store
    /// process); set by the node host.</summary>
    public Func<CancellationToken, Task<StoreFigures?>>? StoreFiguresProvider { get; set; }

    /// <summary>This node's details for the dashboard.</summary>
    public async Task<NodeDetails> DetailsAsync(int latestTasks)
    {
        StoreFigures? store = null;
        string? storeError = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (Store is { } local)
            {
                var s = await local.Client.GetStatsAsync(timeout.Token).ConfigureAwait(false);
                store = new StoreFigures(s.Capacity, s.UsedBytes, s.ObjectCount, s.SpilledBytes, s.SpillCount, s.RestoreCount, s.PullBytesReceived, s.TransferBytesSent);
            }
            else if (StoreFiguresProvider is { } provider)
            {
                store = await provider(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            storeError = $"{ex.GetType().Name}: {ex.Message}";
        }

        var scheduler = Scheduler;
        return new NodeDetails
        {
            Node = NodeId.Value ?? string.Empty,
            Tasks = new NodeTaskCounts
            {
                Submitted = scheduler.SubmittedCount,
                Pending = scheduler.QueuedCount,
                WaitingForArgs = scheduler.WaitingForArgs,
                Running = scheduler.RunningCount,
                Finished = scheduler.FinishedCount,
                Failed = scheduler.FailedCount,
                Received = ForeignReceived,
                SentElsewhere = scheduler.SentElsewhereCount,
            },
            LatestTasks = Events.Latest(Math.Clamp(latestTasks, 0, Events.Capacity))
                .Select(e => new TaskRecord(e.TaskId.ToString(), e.Function, e.Node, e.FinishedAt, Math.Round(e.Duration.TotalMilliseconds, 3), e.Error))
                .ToArray(),
            Actors = HostedActors.Snapshot(),
            OwnedObjects = Objects.Count,
            HeldBytes = HeldBytes,
            Store = store,
            StoreError = storeError,
            EventLogCapacity = Events.Capacity,
            EventsRecorded = Events.Recorded,
        };
    }

    /// <summary>Any runtime in this process (to read refs borrowed from elsewhere), or null.</summary>
    public static NodeRuntime? AnyLocal => Local.Values.FirstOrDefault(static r => !r.IsDisposed);

    /// <summary>Fetches a value held by another node (chunk by chunk) and deserializes a fresh copy of it.</summary>
    public async Task<object?> FetchRemoteAsync(RemoteObject remote, CancellationToken cancellationToken = default)
    {
        if (remote.Size > Array.MaxLength)
        {
            throw new NotSupportedException($"Object {remote.Id} is {remote.Size} bytes serialized, more than one .NET array holds.");
        }

        var bytes = new byte[remote.Size];
        long offset = 0;
        try
        {
            while (offset < remote.Size)
            {
                var chunk = await remote.Holder.ReadHeldAsync(remote.Id, offset, HeldChunk).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (chunk.Length == 0)
                {
                    throw new InvalidOperationException("the holder no longer has it");
                }

                chunk.CopyTo(bytes, offset);
                offset += chunk.Length;
                Interlocked.Add(ref _fetchedBytes, chunk.Length);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new RayErrorException(RayError.Create(RayErrorKind.ObjectLost,
                $"Object {remote.Id} is held by node {remote.Node}, which could not give it ({ex.Message}); it is lost (rebuilding it from lineage is not implemented yet)."));
        }

        return Copier.Serializer.Deserialize<object?>(bytes);
    }

    /// <summary>Sends a result to the owner at <paramref name="replyTo"/> (batched per owner). A value that cannot be
    /// serialized fails this result alone, with a serialization error (<see cref="WireCheck"/>): results
    /// travel one-way, and Orleans drops a one-way batch whose body fails to serialize, neighbours and all.</summary>
    /// <param name="replyTo">The owner's endpoint.</param>
    /// <param name="result">The result.</param>
    /// <param name="functionName">The task or actor method that produced it (named by a serialization error).</param>
    public void Reply(Grains.INodeEndpoint replyTo, RemoteResult result, string functionName = "")
    {
        if (result.Error is null && result.Value is { } value && HoldIfLarge(result.ObjectId, value) is RemoteObject held)
        {
            result = result with { Value = held };
        }

        result = WireCheck.Checked(result, Copier.Serializer, functionName);
        var pump = _replies.GetOrAdd(replyTo, static (endpoint, self) => new SendPump<RemoteResult>(
            endpoint.DeliverResultsAsync,
            (batch, ex) => self.ReplyFailed(endpoint, batch, ex)), this);
        pump.Enqueue(result);
    }

    /// <summary>A batch of results could not be sent. When the owner is unreachable they are lost with it (it owned
    /// their objects); when the items were at fault (the pump has split the batch down to them), each is sent again
    /// as an error, so the owner's waiter fails instead of waiting forever.</summary>
    private void ReplyFailed(Grains.INodeEndpoint replyTo, RemoteResult[] batch, Exception ex)
    {
        LogReplyFailed(_logger, batch.Length, ex.GetType().Name, ex.Message);
        if (ClusterScheduler.IsTransient(ex) || !_replies.TryGetValue(replyTo, out var pump))
        {
            return;
        }

        foreach (var result in batch)
        {
            if (result.Value is not null || result.Error is null)
            {
                // Only a result that still carried a value is resent (as an error without one): a result that failed
                // again as an error is not resent, so nothing loops.
                pump.Enqueue(result with { Value = null, Error = WireCheck.SerializationError(result.Value?.GetType(), ex, string.Empty) });
            }
        }
    }

    /// <summary>The entry of an object argument: this runtime's own, or the local entry of a ref borrowed from another
    /// process (read through its owner).</summary>
    public bool TryGetArgument(in TaskArg arg, out ObjectEntry entry)
    {
        if (Objects.TryGet(arg.RefId, out entry))
        {
            return true;
        }

        return arg.Value is IBorrowedRef borrowed && borrowed.TryBorrow(this, out entry);
    }

    /// <summary>The value of an object argument, for a task or call sent to another node (which gets a copy); an error
    /// when the object failed or is not here.</summary>
    public RayError? ReadForRemote(in TaskArg arg, string functionName, out object? value)
    {
        value = null;
        var id = arg.RefId;
        if (!TryGetArgument(arg, out var entry) || !entry.IsComplete)
        {
            return RayError.Create(RayErrorKind.ObjectLost,
                $"Argument object {id} of {functionName} is not owned by this process (a ref received inside another value cannot be passed on to another node yet); pass the value, or a ref this process created.",
                functionName);
        }

        if (entry.IsFailed)
        {
            return entry.Error;
        }

        if (entry.StoredObject is { } stored)
        {
            return ReadStored(stored, id, functionName, out value);
        }

        value = entry.Value;
        return null;
    }

    /// <summary>Completes a task this runtime owns that ran elsewhere (or could not be placed).</summary>
    public void FinishOwned(TaskSpec spec, object? value, RayError? error, string node, long durationTicks)
    {
        var ranElsewhere = node.Length > 0 && node != NodeId.Value;
        spec.State = TaskState.Done;
        if (error is null)
        {
            spec.Result.TrySetValue(value);
        }
        else
        {
            spec.Result.TrySetError(error);
        }

        if (!ranElsewhere)
        {
            // A task that ran on another node is counted there (finished or failed); counting it here too would
            // double the cluster's sums.
            Scheduler.RecordFinished(error is not null);
        }

        Events.Record(new TaskEvent(spec.Id, spec.DisplayName, node, DateTimeOffset.UtcNow, TimeSpan.FromTicks(durationTicks),
            error is null ? null : $"{error.ExceptionType}: {error.Message}"));
        Objects.DropIfOrphaned(spec.Result);
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
    public TaskEventLog Events { get; } = new();

    public WorkerPool Pool { get; }

    public ActorSubmitter Actors { get; }

    public bool IsDisposed => _disposed;

    /// <summary>The runtime in this process that owns objects of <paramref name="owner"/>, if any.</summary>
    public static bool TryGetLocal(WorkerId owner, out NodeRuntime runtime) => Local.TryGetValue(owner, out runtime!);

    /// <summary>Submits a task owned by this node; returns its pending return entry.</summary>
    public ObjectEntry SubmitTask(CompiledFunction function, TaskArg[] args, ResourceSet resources, int maxRetries, bool retryExceptions, string? name, PlacementHint? placement = null)
    {
        ThrowIfDisposed();
        var taskId = TaskId.NewId();
        var entry = Objects.Create(new ObjectId(taskId.Hi, taskId.Lo));
        var spec = new TaskSpec(taskId, function, args, resources, entry, Scheduler)
        {
            MaxRetries = maxRetries,
            RetryExceptions = retryExceptions,
            Name = name,
            Placement = placement ?? PlacementHint.Default,
        };
        entry.Producer = spec;
        Scheduler.Submit(spec);
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

    /// <summary>Waits for an object; false when <paramref name="timeout"/> passed first. Inside a task the task's
    /// resources are handed back while it waits; nothing stays registered on the entry once the wait ends.</summary>
    public ValueTask<bool> WaitForAsync(ObjectEntry entry, TimeSpan? timeout, CancellationToken cancellationToken) =>
        entry.IsComplete ? new ValueTask<bool>(true) : new ValueTask<bool>(ObjectWaiter.WaitAsync([entry], 1, stopOnFailure: false, timeout, cancellationToken));

    /// <summary>Resolves a call's arguments: inline values as they are, object arguments copied out of their entries.</summary>
    /// <returns>null on success; otherwise the error to report (a failed argument propagates its error).</returns>
    public RayError? ResolveArguments(TaskArg[] args, object?[] target, int offset, string functionName)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.IsRef)
            {
                if (arg.Value is RemoteObject remote)
                {
                    if (FetchForArgument(remote, functionName, out var fetched) is { } fetchError)
                    {
                        return fetchError;
                    }

                    target[offset + i] = fetched;
                    continue;
                }

                target[offset + i] = arg.Value;
                continue;
            }

            if (!TryGetArgument(arg, out var entry) || !entry.IsComplete)
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

            if (entry.Value is RemoteObject held)
            {
                if (FetchForArgument(held, functionName, out var fetched) is { } fetchError)
                {
                    return fetchError;
                }

                target[offset + i] = fetched;
                continue;
            }

            target[offset + i] = Copier.CopyOut(entry.Value);
        }

        return null;
    }

    /// <summary>Fetches an argument held by another node, blocking this worker thread (the calls themselves run on
    /// the thread pool: see SchedulerEngine.Start for why a worker thread must not issue them).</summary>
    private RayError? FetchForArgument(RemoteObject remote, string functionName, out object? value)
    {
        try
        {
            value = Task.Run(() => FetchRemoteAsync(remote)).GetAwaiter().GetResult();
            return null;
        }
        catch (RayErrorException ex)
        {
            value = null;
            return RayError.Create(ex.Error.Kind, ex.Error.Message, functionName);
        }
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

    ValueTask ITaskRunner.RunAsync(TaskSpec spec, Lease lease) => RunTaskAsync(spec, lease);

    /// <summary>Runs one task under <paramref name="lease"/> on a worker thread; synchronous functions complete inline.</summary>
    private ValueTask RunTaskAsync(TaskSpec spec, Lease lease)
    {
        if (spec.Cancelled || spec.Result.IsComplete)
        {
            return default;
        }

        spec.Attempt++;
        spec.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        if (RuntimeMeters.SchedulingLatency.Enabled && spec.ReadyAt != 0)
        {
            RuntimeMeters.SchedulingLatency.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(spec.ReadyAt, spec.StartedAt).TotalSeconds,
                new KeyValuePair<string, object?>("node", NodeId.Value ?? string.Empty));
        }
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
            spec.State = TaskState.Waiting;
            Scheduler.Enqueue(spec);
            return;
        }

        Finish(spec, null, RayError.FromException(exception, spec.DisplayName));
    }

    private void Finish(TaskSpec spec, object? value, RayError? error)
    {
        spec.State = TaskState.Done;
        spec.RunningLease = null;
        if (spec.ReplyTo is { } replyTo)
        {
            if (_foreign.TryRemove(spec.Id, out _) && !spec.Cancelled)
            {
                var duration = spec.StartedAt == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(spec.StartedAt).Ticks;
                Reply(replyTo, new RemoteResult { ObjectId = spec.Result.Id, TaskId = spec.Id, Value = value, Error = error, Node = NodeId.Value ?? string.Empty, DurationTicks = duration }, spec.DisplayName);
            }

            Scheduler.RecordFinished(error is not null);
            Events.Record(new TaskEvent(spec.Id, spec.DisplayName, NodeId.Value ?? string.Empty, DateTimeOffset.UtcNow,
                spec.StartedAt == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(spec.StartedAt),
                error is null ? null : $"{error.ExceptionType}: {error.Message}"));
            return;
        }

        if (error is null)
        {
            spec.Result.TrySetValue(value);
        }
        else
        {
            spec.Result.TrySetError(error);
        }

        Scheduler.RecordFinished(error is not null);
        Events.Record(new TaskEvent(spec.Id, spec.DisplayName, NodeId.Value ?? string.Empty, DateTimeOffset.UtcNow,
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
        Cluster.Dispose();
        Local.TryRemove(WorkerId, out _);
        Objects.Clear(RayError.Create(RayErrorKind.ObjectLost, "The OrleansRay node that owned this object shut down."));
        Scheduler.Dispose();
        Pool.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {Count} results to their owner failed ({ErrorType}: {Reason}); the owner is gone")]
    private static partial void LogReplyFailed(ILogger logger, int count, string errorType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Argument object {ObjectId} of {FunctionName} could not be read from the node's object store")]
    private static partial void LogStoredArgumentUnreadable(ILogger logger, ObjectId objectId, string functionName, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {FunctionName} failed on attempt {Attempt} and will be retried: {Reason}")]
    private static partial void LogTaskRetry(ILogger logger, string functionName, int attempt, string reason);
}
