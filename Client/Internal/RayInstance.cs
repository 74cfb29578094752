using System.Collections.Concurrent;
using System.Linq.Expressions;
using OrleansRay.Execution;
using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Node;
using OrleansRay.Ownership;
using OrleansRay.Scheduling;

namespace OrleansRay;

/// <summary>The IRay over one node runtime; shared by the driver (<see cref="RayDriver"/>) and code in tasks (<see cref="NodeRay"/>).</summary>
internal abstract partial class RayInstance : IRay, IRayRuntimeAccess
{
    protected RayInstance(NodeRuntime runtime, string @namespace)
    {
        Runtime = runtime;
        Namespace = @namespace;
        State = new RayState(runtime, ThrowIfDisposed);
    }

    public IRayState State { get; }

    public NodeRuntime Runtime { get; }

    public virtual string Namespace { get; }

    public NodeId NodeId => Runtime.NodeId;

    public abstract void TrackActor(ActorId actorId, bool detached);

    public abstract ValueTask DisposeAsync();

    /// <summary>Throws the one exception of every use of a shut-down node (<see cref="Transport.LocalNode.ShutDown"/>) once
    /// its node has shut down; a driver also from the moment its own disposal begins.</summary>
    public virtual void ThrowIfDisposed() => Runtime.ThrowIfDisposed();

    /// <inheritdoc/>
    public virtual CancellationToken Disposing => CancellationToken.None;

    public ActorCreation<TActor> Actor<TActor>(Expression<Func<TActor>> constructor) where TActor : class
    {
        ArgumentNullException.ThrowIfNull(constructor);
        return new ActorCreation<TActor>(this, constructor);
    }

    public ValueTask<ObjectRef<T>> PutAsync<T>(T value, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        object? boxed = value;
        if (Runtime.Values.Puts is { } store && store.IsLarge(boxed))
        {
            return PutStoredAsync<T>(store, boxed!, cancellationToken);
        }

        var copy = Runtime.Copier.CopyIn(boxed, "value put");
        var entry = Runtime.Put(copy);
        return new ValueTask<ObjectRef<T>>(new ObjectRef<T>(entry.Id, Runtime.WorkerId, Runtime.Reader, detachable: true));
    }

    public ValueTask<ObjectRef<T[]>> PutAsync<T, TState>(int length, TState state, System.Buffers.SpanAction<T, TState> fill, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentNullException.ThrowIfNull(fill);
        if (!typeof(T).IsPrimitive)
        {
            throw new ArgumentException($"PutAsync with a fill callback stores arrays of primitive elements; {typeof(T).FullName} is not one. Put a {typeof(T).Name}[] with PutAsync(value) instead.", nameof(T));
        }

        if (Runtime.Values.Puts is { } store && (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() > store.InlineThreshold)
        {
            return PutFilledAsync(store, length, state, fill, cancellationToken);
        }

        var array = new T[length];
        try
        {
            fill(array, state);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<ObjectRef<T[]>>(ex); // as the large path: from the returned task, unchanged
        }

        var entry = Runtime.Put(array); // a new array nobody else holds: no defensive copy needed
        return new ValueTask<ObjectRef<T[]>>(new ObjectRef<T[]>(entry.Id, Runtime.WorkerId, Runtime.Reader, detachable: true));
    }

    private async ValueTask<ObjectRef<T[]>> PutFilledAsync<T, TState>(IObjectStorePuts store, int length, TState state, System.Buffers.SpanAction<T, TState> fill, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var id = ObjectId.NewId();
        StoredObject stored;
        try
        {
            stored = await store.PutFilledAsync(id, length, state, fill, cancellationToken).ConfigureAwait(false);
        }
        catch (FillFailedException failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.InnerException!); // the fill's own exception
            throw;
        }
        catch (Exception ex) when (StoreErrors.OnPut(ex) is { } mapped)
        {
            throw mapped;
        }

        var entry = Runtime.PutStored(id, stored);
        return new ObjectRef<T[]>(entry.Id, Runtime.WorkerId, Runtime.Reader);
    }

    /// <summary>Puts a value above the inline threshold into the node's object store (the store's copy is the snapshot:
    /// no deep copy in managed memory first): this runtime's own, or the connected node's for a driver without one.</summary>
    private async ValueTask<ObjectRef<T>> PutStoredAsync<T>(IObjectStorePuts store, object value, CancellationToken cancellationToken)
    {
        var id = ObjectId.NewId();
        StoredObject stored;
        try
        {
            stored = await store.PutAsync(id, value, "value put", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StoreErrors.OnPut(ex) is { } mapped)
        {
            throw mapped;
        }

        var entry = Runtime.PutStored(id, stored);
        return new ObjectRef<T>(entry.Id, Runtime.WorkerId, Runtime.Reader);
    }

    public ValueTask<T> GetAsync<T>(ObjectRef<T> objectRef, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ObjectResolver.GetAsync(objectRef, null, cancellationToken, Runtime.Reader);
    }

    public ValueTask<T> GetAsync<T>(ObjectRef<T> objectRef, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return ObjectResolver.GetAsync(objectRef, CheckTimeout(timeout), cancellationToken, Runtime.Reader);
    }

    public Task<T[]> GetAsync<T>(IEnumerable<ObjectRef<T>> objectRefs, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return GetManyAsync(objectRefs, null, cancellationToken);
    }

    public Task<T[]> GetAsync<T>(IEnumerable<ObjectRef<T>> objectRefs, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return GetManyAsync(objectRefs, CheckTimeout(timeout), cancellationToken);
    }

    /// <summary>Gets several objects: waits for all of them, but raises as soon as any one fails (Ray's ray.get of a
    /// list); the values come back in input order.</summary>
    private async Task<T[]> GetManyAsync<T>(IEnumerable<ObjectRef<T>> objectRefs, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(objectRefs);
        var refs = objectRefs as IReadOnlyList<ObjectRef<T>> ?? objectRefs.ToList();
        var found = new (ObjectReader Runtime, ObjectEntry Entry)[refs.Count];
        var entries = new ObjectEntry[refs.Count];
        for (var i = 0; i < refs.Count; i++)
        {
            found[i] = ObjectResolver.Find(refs[i] ?? throw new ArgumentException($"objectRefs[{i}] is null.", nameof(objectRefs)), Runtime.Reader);
            entries[i] = found[i].Entry;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!await ObjectWaiter.WaitAsync(entries, entries.Length, stopOnFailure: true, timeout, cancellationToken).ConfigureAwait(false))
        {
            var selfWait = entries.Where(e => !e.IsComplete).Select(e => (e.Producer as Actors.ActorCallHandle)?.SelfWaitHint()).FirstOrDefault(h => h is not null);
            var notReady = entries.Count(e => !e.IsComplete);
            throw new GetTimeoutException(timeout!.Value, $"{notReady} of {refs.Count} objects", selfWait, plural: notReady != 1);
        }

        ObjectResolver.ThrowIfShutDown(Runtime.Reader);

        // The first failed object in input order raises, whether or not the others are complete yet.
        foreach (var entry in entries)
        {
            if (entry.IsFailed)
            {
                throw StoreErrors.ToException(entry.Error!);
            }
        }

        var results = new T[refs.Count];
        for (var i = 0; i < refs.Count; i++)
        {
            var (runtime, entry) = found[i];
            results[i] = timeout is { } limit
                ? await ObjectResolver.ReadWithinAsync<T>(runtime, entry, started, limit, $"Object {entry.Id} (of {refs.Count})", cancellationToken).ConfigureAwait(false)
                : await ObjectResolver.ReadAsync<T>(runtime, entry, cancellationToken).ConfigureAwait(false);
        }

        GC.KeepAlive(refs);
        return results;
    }

    public Task<WaitResult<TRef>> WaitAsync<TRef>(IEnumerable<TRef> objectRefs, int numReturns = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRef : ObjectRef
    {
        try
        {
            return WaitOrAnswer(objectRefs, numReturns, timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromException<WaitResult<TRef>>(ex); // bad input fails the returned task, as an async method's would
        }
    }

    private Task<WaitResult<TRef>> WaitOrAnswer<TRef>(IEnumerable<TRef> objectRefs, int numReturns, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRef : ObjectRef
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(objectRefs);
        var refs = objectRefs as IReadOnlyList<TRef> ?? objectRefs.ToList();
        if (timeout is { } t)
        {
            timeout = CheckTimeout(t);
        }

        if (refs.Count == 0)
        {
            // Ray's ray.wait([]) is ([], []), whatever num_returns is.
            return Task.FromResult(new WaitResult<TRef>(Array.Empty<TRef>(), Array.Empty<TRef>()));
        }

        CheckNumReturns(numReturns, refs.Count);

        if (refs is not RefRun<TRef>) // a previous answer's list holds no null and no ref twice
        {
            CheckWaitList(refs);
        }

        if (WaitAnswer.TryAnswer(refs, numReturns, timeout, cancellationToken, Runtime.Reader) is { } answer)
        {
            return Task.FromResult(answer);
        }

        var entries = new ObjectEntry[refs.Count];
        for (var i = 0; i < refs.Count; i++)
        {
            entries[i] = ObjectResolver.Find(refs[i], Runtime.Reader).Entry;
        }

        return WaitForReadyAsync(refs.ToArray(), entries, numReturns, timeout, cancellationToken, Runtime.Node, Runtime.Reader);
    }

    /// <summary>Refuses a count of refs to wait for that Ray's <c>ray.wait</c> refuses too: none or fewer (it would answer
    /// at once, and waiting for nothing is a slip: num_returns &lt;= 0), or more than were given (the wait could never
    /// end).</summary>
    private static void CheckNumReturns(int numReturns, int count)
    {
        if (numReturns <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numReturns),
                $"numReturns = {numReturns}: WaitAsync waits for at least one of the refs (Ray's ray.wait refuses num_returns <= 0 too); give a number from 1 to {count}, the number of refs.");
        }

        if (numReturns > count)
        {
            throw new ArgumentOutOfRangeException(nameof(numReturns),
                $"numReturns = {numReturns} is more than the {count} ref(s) given, so the wait could never end (Ray's ray.wait refuses it too); give at most {count}.");
        }
    }

    /// <summary>Refuses a null item, and a ref listed twice (Ray: "Wait requires a list of unique object refs"): a
    /// ready duplicate would count twice towards numReturns.</summary>
    private static void CheckWaitList<TRef>(IReadOnlyList<TRef> refs)
        where TRef : ObjectRef
    {
        // Up to 16 refs are compared pairwise (no set allocated for the common short list).
        var seen = refs.Count > 16 ? new Dictionary<ObjectId, int>(refs.Count) : null;
        for (var i = 0; i < refs.Count; i++)
        {
            var objectRef = refs[i] ?? throw new ArgumentException($"objectRefs[{i}] is null.", "objectRefs");
            var first = -1;
            if (seen is null)
            {
                for (var j = 0; j < i && first < 0; j++)
                {
                    first = refs[j].Id == objectRef.Id ? j : -1;
                }
            }
            else if (!seen.TryAdd(objectRef.Id, i))
            {
                first = seen[objectRef.Id];
            }

            if (first >= 0)
            {
                throw new ArgumentException(
                    $"objectRefs[{first}] and objectRefs[{i}] are the same {objectRef}: WaitAsync requires a list of unique object refs (as Ray's ray.wait does).",
                    "objectRefs");
            }
        }
    }

    /// <summary>The wait proper: fewer than <paramref name="numReturns"/> of <paramref name="refs"/> were ready (every
    /// entry is resolved already; <paramref name="entries"/> holds them).</summary>
    private static async Task<WaitResult<TRef>> WaitForReadyAsync<TRef>(TRef[] refs, ObjectEntry[] entries, int numReturns, TimeSpan? timeout, CancellationToken cancellationToken, Transport.LocalNode node, ObjectReader reader)
        where TRef : ObjectRef
    {
        // Timing out is not an error here: what is ready by then is the answer.
        await ObjectWaiter.WaitAsync(entries, numReturns, stopOnFailure: false, timeout, cancellationToken).ConfigureAwait(false);
        if (node.IsLost)
        {
            // The driver gave its cluster up while waiting: its refs are failed, not ready (ClusterLostException).
            node.ThrowIfDisposed();
        }

        // Its disposal began while it waited: the refs it fails on the way (killed actors' calls, cancelled tasks) are
        // not an answer (ObjectDisposedException, as every later use).
        ObjectResolver.ThrowIfShutDown(reader);

        var ready = new List<TRef>(numReturns);
        var notReady = new List<TRef>(refs.Length);
        for (var i = 0; i < refs.Length; i++)
        {
            if (entries[i].IsComplete && ready.Count < numReturns)
            {
                ready.Add(refs[i]);
            }
            else
            {
                notReady.Add(refs[i]);
            }
        }

        return new WaitResult<TRef>(ready, notReady);
    }

    public Task CancelAsync(ObjectRef objectRef, bool force = false, bool recursive = true)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(objectRef);
        var (_, entry) = ObjectResolver.Find(objectRef, Runtime.Reader);
        if (entry.Producer is { } producer)
        {
            if (force && producer is Actors.ActorCallHandle)
            {
                // Ray refuses it too (ValueError): an actor's state would be left half-changed by an abandoned call.
                throw new ArgumentException("force: true is not supported for an actor call: cancel it without force (a call that has started sees its cancellation token), or kill the actor with KillAsync.", nameof(force));
            }

            producer.Cancel(force, recursive);
        }

        return Task.CompletedTask;
    }

    public ValueTask<ObjectBuffer<T>> GetBufferAsync<T>(ObjectRef<T[]> objectRef, CancellationToken cancellationToken = default) where T : unmanaged
    {
        ThrowIfDisposed();
        return ObjectBufferReader.GetAsync(Runtime.Reader, objectRef, cancellationToken);
    }

    public async Task<ActorHandle<TActor>> GetActorAsync<TActor>(string name, string? @namespace = null) where TActor : class
    {
        if (typeof(IActor).IsAssignableFrom(typeof(TActor)))
        {
            // A grain actor's class name is its contract's, so the name check below would pass and hand back a handle
            // whose calls fail: its calls go through the Orleans proxy.
            throw new ArgumentException($"{typeof(TActor).Name} is an actor behind a grain interface: find it with ray.GetActorProxyAsync<{typeof(TActor).Name}>(\"{name}\") and call its proxy.", nameof(TActor));
        }

        var info = await FindNamedActorAsync(name, @namespace, typeof(TActor), static options => $".Options({options})").ConfigureAwait(false);
        return new ActorHandle<TActor>(info.ActorId, info.ClassName, this);
    }

    /// <summary>The live actor named <paramref name="name"/> in <paramref name="namespace"/> (default: this driver's),
    /// whose class (or, behind a grain interface, contract) is <paramref name="expected"/>.</summary>
    /// <param name="name">The actor's name.</param>
    /// <param name="namespace">Its namespace; null for this driver's.</param>
    /// <param name="expected">The class actor's class, or the grain actor's contract interface.</param>
    /// <param name="createHint">How such an actor is created, for the not-found message, given the options that name it
    /// (with its namespace when the lookup named another than this driver's).</param>
    /// <exception cref="ActorNotFoundException">No live actor has that name.</exception>
    /// <exception cref="ArgumentException">The actor of that name is of another type.</exception>
    internal async Task<ActorInfo> FindNamedActorAsync(string name, string? @namespace, Type expected, Func<string, string> createHint)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (@namespace is not null && string.IsNullOrWhiteSpace(@namespace))
        {
            throw new ArgumentException("The namespace is empty: name one, or pass null for this driver's.", nameof(@namespace));
        }

        var ns = @namespace ?? Namespace;
        var info = await ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<IActorDirectoryGrain>(ns).LookupAsync(name)).ConfigureAwait(false);
        if (info is not null)
        {
            if (!await IsNotDeadAsync(info).ConfigureAwait(false))
            {
                info = null;
            }
        }

        if (info is null)
        {
            var options = ns == Namespace ? $"new ActorOptions {{ Name = \"{name}\" }}" : $"new ActorOptions {{ Name = \"{name}\", Namespace = \"{ns}\" }}";
            throw new ActorNotFoundException($"No live actor is named '{name}' in namespace '{ns}'. Create it with {createHint(options)}, or check the namespace.");
        }

        var expectedName = expected.FullName ?? expected.Name;
        if (!string.Equals(info.ClassName, expectedName, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Actor '{name}' is of type {info.ClassName}, not {expectedName}; ask for that type (GetActorAsync<T> for a class actor, GetActorProxyAsync<T> for a grain interface).", nameof(name));
        }

        return info;
    }

    public Task KillAsync<TActor>(ActorHandle<TActor> actor, bool noRestart = true) where TActor : class
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(actor);
        CheckSameCluster(actor.BoundRay, actor.ToString(), nameof(actor));
        return Runtime.Actors.KillAsync(actor.ActorId, noRestart, noRestart ? "killed by ray.KillAsync" : "killed by ray.KillAsync(noRestart: false)");
    }

    public IGrainFactory GrainFactory
    {
        get
        {
            ThrowIfDisposed(); // the factory of a stopped silo or client fails every call, with Orleans' own errors
            return Runtime.GrainFactory;
        }
    }

    public Task<TActor> CreateActorAsync<TActor>(ActorOptions? options = null, CancellationToken cancellationToken = default) where TActor : IActor =>
        ActorGrains.CreateAsync<TActor>(this, options, cancellationToken);

    public Task<TActor> GetActorProxyAsync<TActor>(string name, string? @namespace = null) where TActor : IActor =>
        ActorGrains.GetAsync<TActor>(this, name, @namespace);

    public Task KillAsync(IActor actor, bool noRestart = true)
    {
        ThrowIfDisposed();
        return ActorGrains.KillAsync(this, actor, noRestart);
    }

    public async Task<IReadOnlyDictionary<string, double>> ClusterResourcesAsync()
    {
        ThrowIfDisposed();
        var nodes = await ClusterView.NodesAsync(Runtime).ConfigureAwait(false);
        return Sum(nodes.Where(n => n.IsAlive).Select(n => n.Total));
    }

    public async Task<IReadOnlyDictionary<string, double>> AvailableResourcesAsync()
    {
        ThrowIfDisposed();
        var nodes = await ClusterView.NodesAsync(Runtime).ConfigureAwait(false);
        return Sum(nodes.Where(n => n.IsAlive).Select(n => n.Available));
    }

    public async Task<IReadOnlyList<NodeInfo>> NodesAsync()
    {
        ThrowIfDisposed();
        var head = ClusterCalls.RunAsync(Runtime, Runtime.GrainFactory.GetGrain<INodeTableGrain>(0).HeadAsync());
        var nodes = await ClusterView.NodesAsync(Runtime).ConfigureAwait(false);
        var isHead = ClusterState.HeadMarker(nodes, await head.ConfigureAwait(false));
        return nodes.Select(n => new NodeInfo(n.NodeId, n.Address, n.IsAlive, n.Total.ToDictionary(), n.Available.ToDictionary())
        {
            IsHeadNode = isHead(n),
            GatewayAddress = n.Gateway is { Length: > 0 } gateway ? gateway : null,
        }).ToList();
    }

    public async Task<IReadOnlyList<ResourceDemand>> PendingDemandsAsync()
    {
        ThrowIfDisposed();
        var nodes = await ClusterView.NodesAsync(Runtime).ConfigureAwait(false);
        var alive = nodes.Where(n => n.IsAlive).ToList();
        var table = Runtime.GrainFactory.GetGrain<INodeTableGrain>(0);
        var driverDemands = await ClusterCalls.RunAsync(Runtime, table.DriverDemandsAsync()).ConfigureAwait(false);
        var pendingGroups = await ClusterCalls.RunAsync(Runtime, table.PendingGroupsAsync()).ConfigureAwait(false);
        var own = Runtime.CanExecute ? [] : Runtime.Cluster.ParkedDemands();
        return alive
            .SelectMany(n => n.Demands)
            .Concat(own.Count > 0 ? own : driverDemands)
            .GroupBy(d => (d.Shape, d.IsActor))
            .Select(g => new ResourceDemand(g.Key.Shape.ToDictionary(), g.Sum(d => d.Count), !alive.Any(n => g.Key.Shape.FitsIn(n.Total)), g.Key.IsActor))
            .Concat(GroupDemands(pendingGroups))
            .ToList();
    }

    /// <summary>Pending placement groups as demands, one per strategy, bundles and feasibility (the lines of Ray's status
    /// "{'CPU': 1.0} * 2 (PACK): 1+ pending placement groups"). Infeasible is the group's own last placement round's
    /// verdict against the live nodes, every 500 ms.</summary>
    private static IEnumerable<ResourceDemand> GroupDemands(IReadOnlyList<PendingPlacementGroupInfo> pending) =>
        pending
            .GroupBy(p => (p.Spec.Strategy, Bundles: string.Join(" | ", p.Spec.Bundles.Select(b => b.ToString())), p.IsInfeasible))
            .Select(g =>
            {
                var bundles = g.First().Spec.Bundles;
                return new ResourceDemand(Sum(bundles), g.Count(), g.Key.IsInfeasible, IsActor: false)
                {
                    Bundles = bundles.Select(b => (IReadOnlyDictionary<string, double>)b.ToDictionary()).ToList(),
                    Strategy = FromWire(g.Key.Strategy),
                };
            });

    private static Dictionary<string, double> Sum(IEnumerable<ResourceSet> sets)
    {
        var total = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var set in sets)
        {
            foreach (var (name, amount) in set.Items)
            {
                total[name] = total.GetValueOrDefault(name) + amount;
            }
        }

        return total;
    }

    /// <summary>Refuses what <paramref name="bound"/> made or looked up when that is an IRay of another cluster (another
    /// <c>Ray.InitAsync</c> in this process: each embedded node is a cluster of its own). This cluster does not know its
    /// actors, so a kill by id here would do nothing and leave the actor alive.</summary>
    /// <param name="bound">The IRay the handle is bound to; null for one that crossed the wire (it belongs to the
    /// cluster it travelled in).</param>
    /// <param name="what">The handle, for the message.</param>
    /// <param name="parameter">The parameter that passed it.</param>
    private void CheckSameCluster(IRay? bound, string what, string parameter)
    {
        if (bound is RayInstance other && !ReferenceEquals(other.Runtime, Runtime)
            && !string.Equals(other.Runtime.Options.ClusterName, Runtime.Options.ClusterName, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"{what} belongs to another cluster: it was created or looked up through another IRay (another Ray.InitAsync in this process), " +
                "and this one cannot reach its actor. Use the IRay that made the handle.", parameter);
        }
    }

    /// <summary>See <see cref="Timeouts.Check"/>.</summary>
    private static TimeSpan? CheckTimeout(TimeSpan timeout) => Timeouts.Check(timeout);
}

/// <summary>The IRay that code inside a task or actor method sees: the node it runs on. Disposing it does nothing.</summary>
internal sealed class NodeRay : RayInstance
{
    private NodeRay(NodeRuntime runtime) : base(runtime, runtime.Options.Namespace)
    {
    }

    /// <summary>The namespace of the job whose task or actor is running (Ray: code runs in its job's namespace), else
    /// the node's default.</summary>
    public override string Namespace => TaskContext.Current?.Namespace ?? base.Namespace;

    /// <summary>The runtime's IRay for code inside its tasks (one per runtime, kept by the runtime itself).</summary>
    public static NodeRay For(NodeRuntime runtime) => runtime.GetOrAddFacade(static r => new NodeRay(r));

    public override void TrackActor(ActorId actorId, bool detached)
    {
        // Actors created inside tasks and actor methods belong to the job of that task or actor (their spec's owner):
        // the nodes kill the non-detached ones when that job ends (EndedJobs), as they do the driver's own.
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
