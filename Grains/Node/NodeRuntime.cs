using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using OrleansRay.Actors;
using OrleansRay.Code;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Ownership;
using OrleansRay.Placement;
using OrleansRay.Scheduling;
using OrleansRay.Transport;

namespace OrleansRay.Node;

/// <summary>One node's runtime, the composition root of the layers: builds each layer's services once, wires them, and
/// is the face the driver API, the hosting code and the node's endpoint talk to.</summary>
/// <remarks>
/// One per silo (a singleton in the silo's services). The embedded driver shares it, so local submission reaches the
/// scheduler engine with a method call, not a serialized message (the hot-path budget of the design notes). Layers:
/// Actors → Placement → Scheduling → Execution → Ownership → Transport, each calling only downward (ARCHITECTURE.md).
/// </remarks>
internal sealed partial class NodeRuntime : IDisposable, ITaskPlacer, IArgumentSource
{
    /// <summary>The object behind <see cref="Endpoint"/>, kept alive here (Orleans holds observers weakly).</summary>
    private NodeEndpoint? _endpointTarget;

    /// <summary>Builds a node's runtime.</summary>
    /// <param name="options">The node's settings.</param>
    /// <param name="grainFactory">The grain factory of the silo or client it lives in.</param>
    /// <param name="copier">Copies values in and out (the silo's serializer).</param>
    /// <param name="owners">The other runtimes of this process (shared when a process hosts several nodes).</param>
    /// <param name="logger">The runtime's logger.</param>
    /// <param name="store">The node's object store, or null when it has none.</param>
    /// <param name="services">The silo's or client's service provider: each job's serializer takes the node's grain
    /// reference codecs from it. Null: this runtime runs no job's shipped code.</param>
    public NodeRuntime(NodeRuntimeOptions options, IGrainFactory grainFactory, ValueCopier copier, LocalOwners owners, ILogger<NodeRuntime> logger, LocalObjectStore? store = null, IServiceProvider? services = null)
    {
        _logger = logger;
        if (services is not null && options.CanExecute)
        {
            var setup = services.GetService<IJobServicesSetup>();
            Code = new CodePackages(grainFactory, services, jobServices =>
                {
                    jobServices.AddSingleton(this);
                    setup?.Configure(jobServices);
                },
                options.CodeCacheDirectory ?? CodePackages.DefaultCacheDirectory, options.CodeCacheBytes, options.WorkingDirsDirectory, () => NodeId.Value ?? "(starting)", logger);
        }

        Node = new LocalNode(options, grainFactory);
        Copier = copier;
        Owners = owners;
        Values = new StoredValues(copier.Serializer, store, options.Credentials);
        Objects = new ObjectTable { Values = Values };
        Generators = new GeneratorStreams(Objects);
        Reader = new ObjectReader(Node.WorkerId, Objects, Values, copier, owners, logger) { Generators = Generators };
        Pool = new WorkerPool("orleansray-worker", Math.Max(1, options.MinWorkerThreads), options.MaxWorkerThreads);
        Replies = new OwnerReplies(Values, copier, logger);
        Foreign = new ForeignTasks(this);
        Attempts = new TaskAttempts(this, Node, Reader, Events, Foreign, logger);
        // The engine places through this runtime (ITaskPlacer below), which hands over to the cluster scheduler built
        // next: the engine and the cluster scheduler need each other, and the composition root breaks the cycle.
        Scheduler = new SchedulerEngine(options.Resources, Pool, Attempts, this, this);
        Cluster = new ClusterScheduler(Node, Scheduler, Reader, Attempts, logger);
        // Warns once per shape about owned work no live node could hold: tasks at each refresh, actors and placement groups
        // as they are created.
        // Placement groups are judged by the control store's own check (the placement layer does not use the control store).
        var infeasible = new InfeasibleWarnings(Cluster.Refresh, Node, Scheduler, Cluster.ParkedDemands, ControlStore.PendingGroupReport.IsInfeasible, logger);
        ActorServices = new ActorServices(this, Node, Reader, Pool, Scheduler, Cluster, Replies) { Code = Code, Logger = logger, Infeasible = infeasible };
        Actors = new ActorSubmitter(ActorServices, logger);
        _ = new PendingActorMover(ActorServices); // moves actors waiting here to a node that can hold them, or has room now
        Cluster.Occupancy = new NodeOccupancy(this);
        Cluster.ResultsReturned = Foreign.Deliver;
        Cluster.OpenTaskChannel = OpenTaskChannel;
        Cluster.Deaths.Died += Actors.NodeDied;
        Cluster.Deaths.Died += Attempts.Recovery.NodeDied;
        PlacementGroups = new PlacementGroupRemoval(this, logger);
        Cluster.Refresh.Refreshed += PlacementGroups.CheckWaiting;
        Objects.Recover = Attempts.Recovery.Recover;
        owners.Add(Node.WorkerId, Reader);
    }

    /// <summary>This node's identity: ids, endpoint, grain factory, shut-down state.</summary>
    public LocalNode Node { get; }

    /// <summary>What connected drivers' tasks print here, on its way to those drivers (Ray's <c>log_to_driver</c>); made by the first line.</summary>
    public TaskOutputForwarder TaskOutput => Volatile.Read(ref field) ?? Interlocked.CompareExchange(ref field, TaskOutputForwarder.For(this, _logger), null) ?? field;

    /// <summary>The worker id that owns this node's objects and stamps its actor calls.</summary>
    public WorkerId WorkerId => Node.WorkerId;

    /// <summary>The silo address text of this node (set once the silo has started).</summary>
    public NodeId NodeId
    {
        get => Node.NodeId;
        set
        {
            Node.NodeId = value;
            if (CanExecute && Store is { } store)
            {
                store.NodeName = value.Value ?? string.Empty;
            }
        }
    }

    /// <summary>The node's settings.</summary>
    public NodeRuntimeOptions Options => Node.Options;

    /// <summary>False for a connected driver: it owns objects and submits work but runs none.</summary>
    public bool CanExecute => Node.CanExecute;

    /// <summary>The grain factory of the silo or client this runtime lives in.</summary>
    public IGrainFactory GrainFactory => Node.GrainFactory;

    /// <summary>This runtime's endpoint reference (set when it joins a cluster; null before).</summary>
    public INodeEndpoint? Endpoint => Node.Endpoint;

    /// <summary>True when work may run in another process (a connected driver, or a node with other nodes).</summary>
    public bool IsClustered => Cluster.IsClustered;

    /// <summary>True once the node has shut down.</summary>
    public bool IsDisposed => Node.IsDisposed;

    /// <summary>Copies values in and out.</summary>
    public ValueCopier Copier { get; }

    /// <summary>The job code packages this node loaded (null for a runtime that runs no shipped code: a driver's).</summary>
    public CodePackages? Code { get; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<CompiledFunction, CompiledFunction> _jobFunctions = new(ReferenceEqualityComparer.Instance);

    /// <summary>The function as this runtime's job sends it: in a driver that shipped its code, a function of that code
    /// names the job's package (so nodes run this job's build of it); anything else as it is.</summary>
    /// <remarks>On a node, job code that runs from the node's own copy of one of its assemblies (a <c>--load</c>ed
    /// build identical to the job's) submits with its job's package too, so nested work runs that build elsewhere.</remarks>
    public CompiledFunction ForJob(CompiledFunction function)
    {
        if (function.Code is not null || function.Descriptor.Code.Length > 0 || function.Method.DeclaringType is not { } type)
        {
            return function;
        }

        string packageId;
        if (Copier.DriverCode is { PackageId: { Length: > 0 } shipped } && DriverCode.IsShipped(type.Assembly))
        {
            packageId = shipped;
        }
        else if (CodeScope.Current is { } running && running.Ships(type.Assembly))
        {
            packageId = running.PackageId;
        }
        else
        {
            return function;
        }

        return _jobFunctions.GetOrAdd(function, static (f, id) => f.WithPackage(id), packageId);
    }

    /// <summary>The node's object store (values above the inline threshold), or null when the node has none.</summary>
    public LocalObjectStore? Store => Values.Store;

    /// <summary>The one reader of stored objects, wherever they live (Ownership).</summary>
    public StoredValues Values { get; }

    /// <summary>The other runtimes of this process.</summary>
    public LocalOwners Owners { get; }

    /// <summary>The objects this node owns (Ownership).</summary>
    public ObjectTable Objects { get; }

    /// <summary>Reads objects for arguments and other nodes (Ownership).</summary>
    public ObjectReader Reader { get; }

    /// <summary>The worker threads user code runs on (Execution).</summary>
    public WorkerPool Pool { get; }

    /// <summary>The latest finished tasks, in bounded memory (the dashboard's Tasks page; Execution).</summary>
    public TaskEventLog Events { get; } = new();

    /// <summary>Runs and finishes task attempts (Scheduling).</summary>
    public TaskAttempts Attempts { get; }

    /// <summary>The node's scheduler engine (Scheduling).</summary>
    public SchedulerEngine Scheduler { get; }

    /// <summary>Placement across the cluster, and the view of the other nodes (Placement).</summary>
    public ClusterScheduler Cluster { get; }

    /// <summary>Results sent back to owners on other nodes (Placement).</summary>
    public OwnerReplies Replies { get; }

    /// <summary>What the Actors layer works with.</summary>
    public ActorServices ActorServices { get; }

    /// <summary>Creates actors and submits actor calls (Actors).</summary>
    public ActorSubmitter Actors { get; }

    /// <summary>Tasks other owners sent here, results coming back, borrowers' reads (Node).</summary>
    public ForeignTasks Foreign { get; }

    /// <summary>Ends the work of removed placement groups here, and finds removals this runtime missed (Node).</summary>
    public PlacementGroupRemoval PlacementGroups { get; }

    /// <summary>Reads the node's object store figures when the store is not the runtime's own (a CLI node's store
    /// process); set by the node host.</summary>
    public Func<CancellationToken, Task<StoreFigures?>>? StoreFiguresProvider { get; set; }

    /// <summary>The public API's object for this runtime (the IRay code inside tasks sees), made once by
    /// <paramref name="create"/>; typed by the caller because the API assembly sits above this one.</summary>
    public T GetOrAddFacade<T>(Func<NodeRuntime, T> create)
        where T : class =>
        Volatile.Read(ref _facade) as T ?? (T)(Interlocked.CompareExchange(ref _facade, create(this), null) ?? _facade!);

    private object? _facade;

    /// <summary>The node runtime of the task or actor call running on this async flow, or null outside one.</summary>
    public static NodeRuntime? Current => TaskContext.Current?.Host as NodeRuntime;

    /// <summary>Joins the cluster: creates this runtime's endpoint, places owned tasks through the cluster scheduler,
    /// and starts refreshing the view of the other nodes. A second call does nothing.</summary>
    public void JoinCluster()
    {
        if (Node.Endpoint is not null)
        {
            return;
        }

        _endpointTarget = new NodeEndpoint(this);
        Node.Endpoint = GrainFactory.CreateObjectReference<INodeEndpoint>(_endpointTarget);
        Objects.Endpoint = Node.Endpoint;
        Objects.FreedElsewhere = Cluster.Copies.Freed;
        Cluster.Refresh.Start();
        if (CanExecute)
        {
            _endedJobs = new EndedJobs(this, _logger);
            _endedJobs.Start();
        }
    }

    private EndedJobs? _endedJobs;
    private TaskChannelServer? _taskChannel;

    /// <summary>Opens this node's task channel on <paramref name="address"/> (the silo's address) and the port of
    /// <see cref="NodeRuntimeOptions.TaskChannelPort"/> (a free one by default), where owners send it
    /// tasks over a direct connection (ADR 0025); its row names it from then on. Call before <see cref="JoinCluster"/>.
    /// A node that cannot bind one logs why and takes tasks through Orleans messaging only. A second call does nothing.</summary>
    public void StartTaskChannel(System.Net.IPAddress address)
    {
        if (!CanExecute || _taskChannel is not null || Node.IsDisposed)
        {
            return;
        }

        try
        {
            _taskChannel = new TaskChannelServer(new System.Net.IPEndPoint(address, Options.TaskChannelPort), Copier.Serializer, Options.Credentials, Foreign.RunAsync, GrainFactory, _logger, ActorServices.SubmitLoneHereAsync);
            Node.TaskChannel = _taskChannel.EndPoint.ToString();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            LogNoTaskChannel(_logger, address.ToString(), ex.Message);
        }
    }

    /// <summary>Closes this node's task channel: owners' sends in flight on it fail as to a node that went away, and
    /// later ones go through Orleans messaging (called as the silo stops).</summary>
    public void StopTaskChannel()
    {
        Node.TaskChannel = null;
        Interlocked.Exchange(ref _taskChannel, null)?.Dispose();
    }

    /// <summary>This node's task channel server (null: none, or stopped).</summary>
    internal TaskChannelServer? TaskChannel => _taskChannel;

    private TaskChannelClient? OpenTaskChannel(string endPoint) =>
        System.Net.IPEndPoint.TryParse(endPoint, out var remote) ? new TaskChannelClient(remote, Copier.Serializer, Options.Credentials, _logger) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node's task channel could not listen on {Address} ({Reason}); owners send its tasks through Orleans messaging")]
    private static partial void LogNoTaskChannel(ILogger logger, string address, string reason);

    /// <summary>Stops reading the job table for ended jobs: called when the silo starts to stop, before the grains it
    /// would call go away (a read racing the shutdown made Orleans log "Silo is shutting down" errors).</summary>
    public void StopWatchingEndedJobs() => _endedJobs?.Dispose();
    private readonly ILogger _logger;

    /// <summary>Submits a task owned by this node (its <paramref name="envVars"/>: <see cref="JobScope.ForNewWork"/>); returns
    /// its pending return entry (return 1 when <paramref name="numReturns"/> is above 1: <paramref name="otherReturns"/> are 2..N).</summary>
    /// <param name="numReturns">Ray's <c>num_returns</c>: how many objects the task returns (its function returns a tuple
    /// or list of that many elements, each an object of its own).</param>
    /// <exception cref="ObjectDisposedException">The node has shut down.</exception>
    public ObjectEntry SubmitTask(CompiledFunction function, TaskArg[] args, ResourceSet resources, int maxRetries, ExceptionRetry? retryExceptions, string? name, string? @namespace, IReadOnlyDictionary<string, string>? envVars, PlacementHint? placement, int numReturns, out ObjectEntry[]? otherReturns)
    {
        Node.ThrowIfDisposed();
        var taskId = TaskId.NewId();
        var entry = Objects.Create(new ObjectId(taskId.Hi, taskId.Lo));
        otherReturns = null;
        if (numReturns > 1)
        {
            otherReturns = new ObjectEntry[numReturns - 1];
            for (var i = 0; i < otherReturns.Length; i++)
            {
                otherReturns[i] = Objects.Create(ObjectId.NewId());
            }
        }

        var spec = new TaskSpec(taskId, function, args, resources, entry, Scheduler)
        {
            MaxRetries = maxRetries,
            RetryExceptions = retryExceptions,
            Name = name,
            Job = JobScope.ForNewWork(WorkerId, Options.DriverEnvVars, @namespace, envVars),
            Placement = placement ?? PlacementHint.Default,
            OtherReturns = otherReturns,
        };
        entry.Producer = spec;
        entry.Origin = ObjectOrigin.Task;
        if (maxRetries > 0)
        {
            // Kept while the result is stored (ObjectEntry drops it otherwise): a lost copy is rebuilt by running it again.
            Objects.AttachLineage(entry, spec);
        }

        if (otherReturns is not null)
        {
            foreach (var other in otherReturns)
            {
                other.Producer = spec;
                other.Origin = ObjectOrigin.Task;
                if (maxRetries > 0)
                {
                    Objects.AttachLineage(other, spec);
                }
            }

            MultipleReturns.LinkFailures(entry, otherReturns);
        }

        // The caller's own submit: a lone short task may be held for its get to run (LeaseLoops).
        using (DriverSubmit.Begin())
        {
            Scheduler.Submit(spec);
        }

        return entry;
    }

    /// <summary>The job a task submitted or an actor created now belongs to: the job of the task or actor running on this
    /// flow (nested work ends with its parent's job), else this runtime's (a connected driver's job is its worker id).</summary>
    public WorkerId SubmittingJob => TaskContext.CurrentJob is { } running ? running.Driver : WorkerId;

    /// <summary>Submits a task owned by this node with one return; returns its pending return entry.</summary>
    /// <exception cref="ObjectDisposedException">The node has shut down.</exception>
    public ObjectEntry SubmitTask(CompiledFunction function, TaskArg[] args, ResourceSet resources, int maxRetries, bool retryExceptions, string? name, PlacementHint? placement = null) =>
        SubmitTask(function, args, resources, maxRetries, retryExceptions ? ExceptionRetry.All : null, name, null, null, placement, 1, out _);

    /// <summary>Stores a value (already copied in) as a new object owned by this node.</summary>
    /// <exception cref="ObjectDisposedException">The node has shut down.</exception>
    public ObjectEntry Put(object? value)
    {
        Node.ThrowIfDisposed();
        var entry = Objects.Create(ObjectId.NewId());
        entry.Origin = ObjectOrigin.Put;
        entry.TrySetInlineValue(value);
        return entry;
    }

    /// <summary>Records an object already sealed in the node's object store as a new object owned by this node (the
    /// stored copy is deleted when that fails).</summary>
    /// <exception cref="ObjectDisposedException">The node has shut down.</exception>
    public ObjectEntry PutStored(ObjectId id, StoredObject stored)
    {
        ObjectEntry entry;
        try
        {
            Node.ThrowIfDisposed();
            entry = Objects.Create(id);
        }
        catch
        {
            Store?.Delete(LocalObjectStore.ToStoreId(id));
            throw;
        }

        entry.Origin = ObjectOrigin.Put;
        entry.TrySetStored(stored);
        return entry;
    }

    /// <inheritdoc/>
    bool ITaskPlacer.TryPlaceElsewhere(TaskSpec spec) => Cluster.TryPlaceElsewhere(spec);

    /// <inheritdoc/>
    bool IArgumentSource.TryGetArgument(in TaskArg arg, out ObjectEntry entry) => Reader.TryGetArgument(arg, out entry);

    /// <summary>Reads and writes this runtime's objects through <paramref name="store"/> from now on (a connected
    /// driver attaching the store of the node it connected through); once, before any object is stored.</summary>
    /// <param name="store">The store.</param>
    /// <param name="nodeName">The node that store belongs to (objects put there are lost with it).</param>
    /// <exception cref="InvalidOperationException">This runtime already has a store.</exception>
    public void AttachStore(LocalObjectStore store, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (Values.Store is not null)
        {
            throw new InvalidOperationException("This runtime already has an object store.");
        }

        store.NodeName = nodeName;
        Values.Store = store;
    }

    /// <summary>The streaming generator tasks this node owns whose consumer is not done (Ownership).</summary>
    public GeneratorStreams Generators { get; }

    /// <summary>Submits a streaming generator task (Ray's <c>num_returns="streaming"</c>): its return object is the end
    /// of the stream (the item count, or the task's error); its items arrive in the returned stream as it yields them.
    /// Not rebuilt from lineage (its items are reported once); retried while <paramref name="maxRetries"/> lasts when
    /// its node dies, the stream keeping the items it already has.</summary>
    /// <exception cref="ObjectDisposedException">The node has shut down.</exception>
    public GeneratorStream SubmitGenerator(CompiledFunction function, TaskArg[] args, ResourceSet resources, int maxRetries, ExceptionRetry? retryExceptions, string? name, string? @namespace, IReadOnlyDictionary<string, string>? envVars, PlacementHint placement, int backpressure)
    {
        Node.ThrowIfDisposed();
        var taskId = TaskId.NewId();
        var entry = Objects.Create(new ObjectId(taskId.Hi, taskId.Lo));
        var stream = Generators.Open(taskId, entry, backpressure);
        var spec = new TaskSpec(taskId, function, args, resources, entry, Scheduler)
        {
            MaxRetries = maxRetries,
            RetryExceptions = retryExceptions,
            Name = name,
            Job = JobScope.ForNewWork(WorkerId, Options.DriverEnvVars, @namespace, envVars),
            Placement = placement,
            Generator = stream,
        };
        entry.Producer = spec;
        entry.Origin = ObjectOrigin.Task;
        Scheduler.Submit(spec);
        return stream;
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the node has shut down.</summary>
    public void ThrowIfDisposed() => Node.ThrowIfDisposed();

    /// <summary>Shuts the node down: stops cluster placement, fails every object it owns (ObjectLost), and stops the
    /// scheduler and worker threads. A second call does nothing.</summary>
    public void Dispose()
    {
        if (Node.IsDisposed)
        {
            return;
        }

        Node.MarkDisposed();
        StopTaskChannel();
        _endedJobs?.Dispose();
        Cluster.Dispose();
        Owners.Remove(Node.WorkerId);
        Objects.Clear(Node.LostError ?? RayError.Create(RayErrorKind.ObjectLost, "The OrleansRay node that owned this object shut down."));
        Scheduler.Dispose();
        Pool.Dispose();
    }
}
