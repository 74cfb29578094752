using System.Linq.Expressions;

namespace OrleansRay;

/// <summary>A driver's view of an OrleansRay cluster: submit tasks, create actors, put and get objects, watch resources.</summary>
/// <remarks>
/// Obtained from <see cref="Ray.InitAsync(RayOptions?, CancellationToken)"/>; inside tasks and actor methods from
/// <see cref="Ray.Current"/>. Tasks are submitted with the <c>ray.Task(function, args...)</c> extension methods
/// (<see cref="RayTaskExtensions"/>). Disposing the driver's instance ends its job: its non-detached actors die, its
/// tasks are cancelled on every node (queued ones never start; running ones see their
/// <see cref="RayContext.CancellationToken"/> cancelled and give their resources back at once, as with a forced
/// <see cref="CancelAsync"/>), and its objects are freed. A driver whose process ends without disposing it ends its job
/// the same way once the cluster sees it gone. Thread-safe.
/// <para>Once the instance is disposed (or its node has stopped), its methods, the refs it made (<c>await r</c>) and
/// the handles bound to it throw <see cref="ObjectDisposedException"/> with the message "The OrleansRay node has shut
/// down.", even for a ref whose value had already arrived; <see cref="Namespace"/> and <see cref="NodeId"/> still
/// answer. A driver's methods and handles do so from the moment <c>DisposeAsync</c> is called, while its job's actors
/// are being killed (a read then would report the kill as the actor's own death); its refs once disposal is done.</para>
/// </remarks>
public interface IRay : IAsyncDisposable
{
    /// <summary>The namespace of named actors for this driver.</summary>
    string Namespace { get; }

    /// <summary>The node this instance submits to.</summary>
    NodeId NodeId { get; }

    /// <summary>Starts describing an actor: the constructor expression's arguments are evaluated here and shipped.</summary>
    /// <exception cref="ArgumentException">The expression is not a constructor call (<c>() => new Counter(0)</c>).</exception>
    ActorCreation<TActor> Actor<TActor>(Expression<Func<TActor>> constructor) where TActor : class;

    /// <summary>Stores a value in the object store and returns its ref.</summary>
    /// <remarks>A value above <see cref="RayOptions.InlineThreshold"/> goes into the node's object store; a connected
    /// driver on another machine than the node it connected through (it has no store of its own) sends it into that
    /// node's store over the network in chunks (Ray Client's put), so it may be as large as that store holds. This
    /// driver stays its owner; the object is lost with that node.</remarks>
    /// <exception cref="ArgumentException">The value's type cannot be serialized.</exception>
    /// <exception cref="ObjectStoreFullRayException">A large value found no room in the node's object store (everything
    /// in it is pinned or being written, and nothing could be spilled in time), or is larger than the whole store.</exception>
    /// <exception cref="RayException">A driver without a store could not reach its node's store, or the store refused
    /// the value for another reason (the message says which).</exception>
    ValueTask<ObjectRef<T>> PutAsync<T>(T value, CancellationToken cancellationToken = default);

    /// <summary>Stores an array of <paramref name="length"/> elements that <paramref name="fill"/> writes in place, and
    /// returns its ref: above the inline threshold the span is the object's memory in the node's object store (as
    /// plasma's create/seal: no temporary array, no second copy), below it a new array. A connected driver without a
    /// store of its own fills a new array and sends it into its node's store, as <c>PutAsync(value)</c> does. Reading it back is as for a put
    /// <c>T[]</c> (<see cref="GetAsync{T}(ObjectRef{T}, CancellationToken)"/>, <see cref="GetBufferAsync{T}"/>).</summary>
    /// <typeparam name="T">A primitive element type (float, double, int, byte, ...).</typeparam>
    /// <typeparam name="TState">What <paramref name="fill"/> needs (e.g. the source slice), passed without a closure.</typeparam>
    /// <param name="length">The number of elements, 0 or more.</param>
    /// <param name="state">Passed to <paramref name="fill"/>.</param>
    /// <param name="fill">Writes every element of the span (its contents are undefined before); runs once, before the
    /// returned task completes: above the inline threshold after the store made room, possibly on another thread. Keep
    /// whatever it reads (<paramref name="state"/>'s buffers) unchanged until the task completes.</param>
    /// <param name="cancellationToken">Stops waiting for room in the store.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not a primitive type, or the array is over 2 GiB.</exception>
    /// <exception cref="ObjectStoreFullRayException">The array found no room in the node's object store, or is larger
    /// than the whole store.</exception>
    /// <remarks>An exception thrown by <paramref name="fill"/> propagates unchanged from the returned task (never
    /// thrown by this call itself) and nothing is stored.</remarks>
    ValueTask<ObjectRef<T[]>> PutAsync<T, TState>(int length, TState state, System.Buffers.SpanAction<T, TState> fill, CancellationToken cancellationToken = default)
        where T : unmanaged;

    /// <summary>Waits for an object's value. Throws the failure that produced it, if any.</summary>
    /// <exception cref="ObjectStoreFullRayException">The task's large result found no room in its node's object store, or
    /// a spilled object no room to be restored.</exception>
    /// <exception cref="ObjectLostException">Every copy of the object is gone and it could not be rebuilt, or its owner
    /// (the process that created it) died.</exception>
    ValueTask<T> GetAsync<T>(ObjectRef<T> objectRef, CancellationToken cancellationToken = default);

    /// <summary>Waits up to <paramref name="timeout"/> for an object's value.</summary>
    /// <exception cref="GetTimeoutException">The object was not ready in time.</exception>
    ValueTask<T> GetAsync<T>(ObjectRef<T> objectRef, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Waits for several objects; the values come in the order of the input. Raises as soon as any one of
    /// them fails (the first failed one in input order), without waiting for the others (Ray's <c>ray.get</c> of a list).</summary>
    Task<T[]> GetAsync<T>(IEnumerable<ObjectRef<T>> objectRefs, CancellationToken cancellationToken = default);

    /// <summary>Waits up to <paramref name="timeout"/> for several objects; raises as soon as any one of them fails.</summary>
    /// <exception cref="GetTimeoutException">Not all objects were ready in time.</exception>
    Task<T[]> GetAsync<T>(IEnumerable<ObjectRef<T>> objectRefs, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Waits until <paramref name="numReturns"/> of the objects are ready, or <paramref name="timeout"/> passes
    /// (null: no timeout). Both lists keep the input's order; Ready has at most numReturns entries. As Ray's
    /// <c>ray.wait</c>: <paramref name="numReturns"/> is from 1 to the number of refs (default 1), an empty list answers
    /// two empty lists at once (whatever <paramref name="numReturns"/> is, so waiting for all of a list that may be empty
    /// works), and a ref may be listed only once.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="objectRefs"/> is null.</exception>
    /// <exception cref="ArgumentException">A ref is null, or listed twice (the message names both positions).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numReturns"/> is 0 or negative, or more than the
    /// refs given (a non-empty list); or <paramref name="timeout"/> is negative.</exception>
    /// <remarks>Invalid arguments fail the returned task; they are not thrown by the call itself.</remarks>
    Task<WaitResult<TRef>> WaitAsync<TRef>(IEnumerable<TRef> objectRefs, int numReturns = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRef : ObjectRef;

    /// <summary>Cancels the task that produces <paramref name="objectRef"/>, queued or running; reading it then throws
    /// <see cref="TaskCancelledException"/>. With <paramref name="force"/> a running attempt is abandoned and its resources freed.
    /// With <paramref name="recursive"/> (the default, as Ray's <c>ray.cancel(ref, recursive=True)</c>) the tasks the
    /// cancelled task submitted and that have not finished are cancelled too, with the same <paramref name="force"/>, and
    /// theirs, on whatever node they run. A finished task's cancel does nothing. An actor call is cancelled alone: a queued
    /// one never runs; one that has started is not stopped (its cancellation token fires and what it did to the actor
    /// stands), as Ray's regular actors do.</summary>
    /// <param name="objectRef">A return of the task (or actor call) to cancel.</param>
    /// <param name="force">Abandon a running attempt at once (its code runs on, ignored; its resources are free). Tasks only.</param>
    /// <param name="recursive">Cancel the tasks it submitted too (true by default, as in Ray).</param>
    /// <exception cref="ArgumentException"><paramref name="force"/> for an actor call (Ray raises <c>ValueError</c>): cancel
    /// it without force, or kill the actor.</exception>
    Task CancelAsync(ObjectRef objectRef, bool force = false, bool recursive = true);

    /// <summary>A zero-copy view of an array object, pinned until the buffer is disposed.</summary>
    ValueTask<ObjectBuffer<T>> GetBufferAsync<T>(ObjectRef<T[]> objectRef, CancellationToken cancellationToken = default) where T : unmanaged;

    /// <summary>Finds a named actor in <paramref name="namespace"/> (default: this driver's namespace).</summary>
    /// <exception cref="ActorNotFoundException">No live actor has that name.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, <paramref name="namespace"/> is empty or blank
    /// (pass null for this driver's), the actor of that name is of another class, or <typeparamref name="TActor"/> is a
    /// grain interface (an <see cref="IActor"/>: find such an actor with <see cref="GetActorProxyAsync{TActor}"/>).</exception>
    Task<ActorHandle<TActor>> GetActorAsync<TActor>(string name, string? @namespace = null) where TActor : class;

    /// <summary>The live named actors of this driver's namespace, or with <paramref name="allNamespaces"/> of every
    /// namespace (Ray's <c>ray.util.list_named_actors(all_namespaces)</c>): detached ones, actors behind grain interfaces,
    /// and actors still pending or restarting included; dead ones and unnamed ones not. Ordered by namespace, then name.</summary>
    /// <param name="allNamespaces">False (the default, as Ray's): this driver's namespace only.</param>
    /// <returns>Each actor's name, namespace, class and id; empty when there are none.</returns>
    /// <exception cref="ObjectDisposedException">This IRay was disposed.</exception>
    /// <example><code>
    /// foreach (var actor in await ray.ListNamedActorsAsync(allNamespaces: true))
    ///     Console.WriteLine($"{actor.Namespace}/{actor.Name}: {actor.ClassName}");
    /// </code></example>
    Task<IReadOnlyList<NamedActor>> ListNamedActorsAsync(bool allNamespaces = false);

    /// <summary>Kills an actor; later calls throw <see cref="ActorDiedException"/>. With <paramref name="noRestart"/>
    /// false it is restarted instead if its MaxRestarts allows.</summary>
    /// <exception cref="ArgumentException"><paramref name="actor"/> belongs to another cluster: it was made or looked up
    /// through another IRay of this process (another <c>Ray.InitAsync</c>); kill it through that one.</exception>
    Task KillAsync<TActor>(ActorHandle<TActor> actor, bool noRestart = true) where TActor : class;

    /// <summary>Creates an actor behind a grain interface (see <see cref="IActor"/>) and returns its typed Orleans proxy:
    /// <c>ICounter c = await ray.CreateActorAsync&lt;ICounter&gt;(new ActorOptions { Name = "c", NumCpus = 1 });</c>.
    /// Returns once the cluster has the actor (and its name, if any); its resources are taken on the node the scheduler
    /// picks, and calls made before it is alive wait for it (up to Orleans' response timeout, 30 s by default). An actor
    /// that asks for more than its node could ever hold (no node fits it) is created all the same and waits, shown as
    /// infeasible by <see cref="PendingDemandsAsync"/>, as a class actor is; since a grain call cannot wait for a node
    /// to join, each of its calls fails at once with an <see cref="InvalidOperationException"/> naming its resources.</summary>
    /// <typeparam name="TActor">The actor contract: an interface deriving from <see cref="IActor"/> with one
    /// implementation (a class deriving from <c>ActorGrain</c>) on the cluster's nodes.</typeparam>
    /// <param name="options">Resources, placement, name, lifetime, restarts and concurrency, as for class actors
    /// (<see cref="ActorOptions"/>); null for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the cluster; the actor may still be created.</param>
    /// <exception cref="ArgumentException"><typeparamref name="TActor"/> is not an interface, has no or several
    /// implementations, its implementation does not derive from <see cref="ActorGrain"/>, the options are invalid, or the
    /// name is taken in its namespace.</exception>
    Task<TActor> CreateActorAsync<TActor>(ActorOptions? options = null, CancellationToken cancellationToken = default) where TActor : IActor;

    /// <summary>Finds a named actor behind a grain interface in <paramref name="namespace"/> (default: this driver's
    /// namespace) and returns its typed proxy (Ray's <c>ray.get_actor</c>). For class actors use
    /// <see cref="GetActorAsync{TActor}"/>.</summary>
    /// <exception cref="ActorNotFoundException">No live actor has that name.</exception>
    /// <exception cref="ArgumentException">The actor of that name is not a <typeparamref name="TActor"/>, or <paramref name="namespace"/> is empty or blank (pass null for this driver's).</exception>
    Task<TActor> GetActorProxyAsync<TActor>(string name, string? @namespace = null) where TActor : IActor;

    /// <summary>Kills an actor behind a grain interface; later calls throw <see cref="ActorDiedException"/>. With
    /// <paramref name="noRestart"/> false it is restarted instead (state reset) if its MaxRestarts allows.</summary>
    /// <exception cref="ArgumentException"><paramref name="actor"/> is not a proxy of an OrleansRay actor, or names an id
    /// this cluster has no record of (a proxy made with <c>GrainFactory.GetGrain</c> rather than returned by
    /// <see cref="CreateActorAsync{TActor}"/> or <see cref="GetActorProxyAsync{TActor}"/>, or of an actor dead long ago).
    /// Killing a dead actor again is no error while the control store keeps its row (the newest dead actors' rows are
    /// kept; a head restarted without <c>--storage</c> keeps none).</exception>
    Task KillAsync(IActor actor, bool noRestart = true);

    /// <summary>The cluster's Orleans grain factory: reach the application's ordinary grains (hosted by every node from
    /// <c>--load</c>ed assemblies or the hosting API) with <c>ray.GrainFactory.GetGrain&lt;IMyGrain&gt;(key)</c>.</summary>
    IGrainFactory GrainFactory { get; }

    /// <summary>Creates a placement group: <paramref name="bundles"/> of resources reserved together by
    /// <paramref name="strategy"/>, all or none. Returns at once; the group is pending until every bundle fits
    /// (await <see cref="PlacementGroup.ReadyAsync"/>). Run tasks and actors in it with TaskOptions/ActorOptions.PlacementGroup.</summary>
    /// <param name="bundles">The bundles' resources, in index order; each asks for something.</param>
    /// <param name="strategy">How the bundles are laid over nodes (Ray's PACK, SPREAD, STRICT_PACK, STRICT_SPREAD).</param>
    /// <param name="name">Null for none; else unique among the live placement groups of this driver's
    /// <see cref="Namespace"/> (as Ray's named placement groups) until the group is removed, and found by
    /// <see cref="GetPlacementGroupAsync"/>.</param>
    /// <param name="detached">Ray's <c>lifetime="detached"</c>. False (the default): the group belongs to the job that
    /// creates it (this driver's, or the job of the task or actor method calling) and is removed, as by
    /// <see cref="RemovePlacementGroupAsync"/>, when that job ends: its driver disposes its IRay, or exits, crashes or is
    /// killed (a connected driver that stops reporting is taken for dead after about 15 s), or the job is stopped. True:
    /// the group outlives its job and stays until removed explicitly (from any driver, found by its
    /// <paramref name="name"/>). A group created outside any job (a detached actor's method, an Orleans grain) is kept as
    /// a detached one.</param>
    /// <exception cref="ArgumentException">No bundles, a bundle that asks for nothing, or an invalid amount; a blank
    /// <paramref name="name"/>; or a live placement group of the namespace already has <paramref name="name"/> (the
    /// message says how to reach it or free the name). Of concurrent creations with one name, exactly one succeeds.</exception>
    Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<Bundle> bundles, PlacementStrategy strategy = PlacementStrategy.Pack, string? name = null, bool detached = false);

    /// <summary>Finds the live placement group named <paramref name="name"/> in this driver's <see cref="Namespace"/>,
    /// pending or created (Ray's <c>ray.util.get_placement_group(name)</c>): <c>PlacementGroup pg = await
    /// ray.GetPlacementGroupAsync("workers");</c>, then schedule on it with TaskOptions/ActorOptions.PlacementGroup as on
    /// the group its creator holds.</summary>
    /// <param name="name">The name given to <see cref="CreatePlacementGroupAsync"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or blank.</exception>
    /// <exception cref="PlacementGroupNotFoundException">No live placement group of the namespace has that name (none was
    /// created with it, or it was removed).</exception>
    /// <exception cref="ObjectDisposedException">This instance was disposed.</exception>
    Task<PlacementGroup> GetPlacementGroupAsync(string name);

    /// <summary>Removes a placement group (Ray's <c>remove_placement_group</c>): every actor of the group is killed, without
    /// restart (its calls then throw <see cref="ActorDiedException"/>), and every task of the group queued or running is
    /// cancelled (its result throws <see cref="TaskCancelledException"/>; never retried), each error naming the removed
    /// group; the bundles' resources are free again once those tenants are gone, and counted once. Tasks and actors
    /// submitted to the group later, or waiting for it while it was pending, fail the same way instead of waiting.
    /// Completes once the nodes have ended the group's work (a running task's code sees its cancellation token
    /// cancelled; code that ignores it runs on, as after a forced <see cref="CancelAsync"/>). Removing it twice is
    /// harmless.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="placementGroup"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">This instance was disposed.</exception>
    Task RemovePlacementGroupAsync(PlacementGroup placementGroup);

    /// <summary>Total resources of the alive nodes: "CPU", "GPU", "memory", "object_store_memory" and custom ones.</summary>
    Task<IReadOnlyDictionary<string, double>> ClusterResourcesAsync();

    /// <summary>Resources free right now across the alive nodes.</summary>
    Task<IReadOnlyDictionary<string, double>> AvailableResourcesAsync();

    /// <summary>Every node the cluster knows, alive or dead.</summary>
    Task<IReadOnlyList<NodeInfo>> NodesAsync();

    /// <summary>Pending tasks and actors by resource shape, and pending placement groups by bundles and strategy (Ray's
    /// "pending placement groups"; <see cref="ResourceDemand.IsPlacementGroup"/>); infeasible ones fit no live node (a
    /// group: the live nodes could not hold all its bundles even if they were empty).</summary>
    Task<IReadOnlyList<ResourceDemand>> PendingDemandsAsync();

    /// <summary>Asks the autoscaler to hold capacity ahead of work: Ray's <c>ray.autoscaler.sdk.request_resources(num_cpus,
    /// bundles)</c>. The request is <paramref name="numCpus"/> bundles of <c>{"CPU": 1}</c> plus <paramref name="bundles"/>;
    /// the autoscaler keeps the cluster large enough that all of them would fit at once on the nodes' <em>total</em>
    /// resources (a floor on the cluster's size, not work: nothing is reserved, and running tasks are not subtracted), and
    /// launches nodes for what does not fit, within its node types' limits.</summary>
    /// <remarks>Each call <b>replaces</b> the previous request (it does not add to it), whoever made it: calling with
    /// <c>numCpus: 2</c> then <c>numCpus: 1</c> asks for one CPU. Calling with both null (or 0 and no bundles) withdraws
    /// the request, so idle nodes can be removed again. The request lives on the head and is lost when the head restarts.
    /// Without an autoscaler (a head started without an autoscaling config, <c>orleansray up</c> starts one) the request
    /// is recorded but nothing acts on it.</remarks>
    /// <param name="numCpus">Number of CPUs to hold, as that many 1-CPU bundles; null or 0 for none.</param>
    /// <param name="bundles">Resource shapes to hold, e.g. <c>new Bundle { ["CPU"] = 4, ["GPU"] = 1 }</c> ("memory" in
    /// bytes, custom resources by name); null for none.</param>
    /// <param name="cancellationToken">Stops waiting for the head; the request may still have been recorded.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numCpus"/> is negative, or the request holds more
    /// than 10,000 bundles (<paramref name="numCpus"/> plus <paramref name="bundles"/>; the request is a cluster's shape:
    /// for more capacity pass larger bundles).</exception>
    /// <exception cref="ArgumentException">A bundle is null or asks for no resources (negative, NaN or infinite amounts
    /// and blank names are refused when the <see cref="Bundle"/> is built).</exception>
    Task RequestResourcesAsync(int? numCpus = null, IEnumerable<Bundle>? bundles = null, CancellationToken cancellationToken = default);

    /// <summary>Ray's state API: list the cluster's nodes, jobs, actors, tasks, objects and placement groups with
    /// filters and a limit, get an actor, summarize, and read <c>ray memory</c> (see <see cref="IRayState"/>).</summary>
    IRayState State { get; }
}
