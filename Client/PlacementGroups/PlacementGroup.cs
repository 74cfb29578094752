using System.Collections.Concurrent;
using OrleansRay.Grains;
using OrleansRay.Internal;
using OrleansRay.Node;
using OrleansRay.Scheduling;

namespace OrleansRay;

/// <summary>A placement group: bundles of resources reserved together over the cluster, by a
/// <see cref="PlacementStrategy"/>. Created with <see cref="IRay.CreatePlacementGroupAsync"/>; tasks and actors run in it
/// with <see cref="TaskOptions.PlacementGroup"/> / <see cref="ActorOptions.PlacementGroup"/> and a bundle index.</summary>
/// <remarks>
/// The bundles are reserved all or none; until they fit the group is pending (and retried), and tasks submitted to it
/// wait. Inside a bundle, a task asks for the bundle's resources instead of the node's free pool, so it runs on the
/// node holding that bundle, and never takes resources other work needs. Removing the group
/// (<see cref="IRay.RemovePlacementGroupAsync"/>) ends its tasks and actors, and work submitted to it afterwards fails.
/// Serializable: pass it to tasks and actors.
/// </remarks>
[GenerateSerializer, Immutable, Alias("orleansray.PlacementGroup")]
public sealed class PlacementGroup : IEquatable<PlacementGroup>
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(500);

    [NonSerialized]
    private readonly IRay? _boundRay;

    /// <summary>Renamed shapes by (shape, bundle index): a task in a bundle builds its shape once, not per call.</summary>
    [NonSerialized]
    private ConcurrentDictionary<(ResourceSet Shape, int Index), ResourceSet>? _renamed;

    /// <summary>The node of each bundle, as last seen by <see cref="ReadyAsync"/>.</summary>
    [NonSerialized]
    private volatile NodeId[]? _bundleNodes;

    [Id(3)]
    private ResourceSet[] _shapes;

    /// <summary>What work of this group carries, without and with child capture (<see cref="Membership"/>).</summary>
    [NonSerialized]
    private PlacementGroupMembership? _member, _capturing;

    internal PlacementGroup(Guid id, string? name, PlacementStrategy strategy, ResourceSet[] shapes, IRay? boundRay)
    {
        Id = id;
        Name = name;
        Strategy = strategy;
        _shapes = shapes;
        _boundRay = boundRay;
    }

    /// <summary>The group's id.</summary>
    [Id(0)] public Guid Id { get; private set; }

    /// <summary>The name given at creation, if any.</summary>
    [Id(1)] public string? Name { get; private set; }

    /// <summary>How the bundles are laid over nodes.</summary>
    [Id(2)] public PlacementStrategy Strategy { get; private set; }

    /// <summary>Copies of the bundles, in index order.</summary>
    public IReadOnlyList<Bundle> Bundles => _shapes.Select(Bundle.From).ToList();

    /// <summary>The number of bundles; valid bundle indexes are 0 to BundleCount - 1 (and -1 for any bundle).</summary>
    public int BundleCount => _shapes.Length;

    /// <summary>Completes when every bundle is reserved (at once when it already is). A group that does not fit waits
    /// until it does: bound the wait with <paramref name="cancellationToken"/>, or use <see cref="WaitAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">The group was removed.</exception>
    /// <exception cref="ObjectDisposedException">The driver was disposed, before or during the wait (the wait then ends
    /// at once).</exception>
    public async Task ReadyAsync(CancellationToken cancellationToken = default)
    {
        if (await PollAsync(null, cancellationToken).ConfigureAwait(false) != PlacementGroupState.Created)
        {
            throw new InvalidOperationException($"Placement group {this} was removed; it will never be ready.");
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for every bundle to be reserved: true when they are, false when
    /// the time ran out or the group was removed (Ray's <c>pg.wait(timeout_seconds)</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite).</exception>
    /// <exception cref="ObjectDisposedException">The driver was disposed, before or during the wait.</exception>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Timeouts.Check(timeout) is { } t ? DateTime.UtcNow + t : (DateTime?)null;
        return await PollAsync(deadline, cancellationToken).ConfigureAwait(false) == PlacementGroupState.Created;
    }

    /// <summary>The group's state now: Pending, Created or Removed.</summary>
    public async Task<PlacementGroupState> GetStateAsync()
    {
        var (runtime, grain) = Grain();
        var info = await ClusterCalls.RunAsync(runtime, grain.GetAsync()).ConfigureAwait(false);
        Remember(info);
        return info?.State ?? PlacementGroupState.Removed;
    }

    /// <inheritdoc />
    public bool Equals(PlacementGroup? other) => other is not null && other.Id == Id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PlacementGroup other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Id.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"PlacementGroup({(Name is null ? string.Empty : Name + ", ")}{Strategy}, {_shapes.Length} bundles, {Id:N})";

    /// <summary>Polls the group's grain with a backoff until it is created or removed, or <paramref name="deadline"/>
    /// passes (then: Pending).</summary>
    /// <exception cref="ObjectDisposedException">The driver was disposed meanwhile: the wait ends at once, with no
    /// further call to a cluster that is shutting down.</exception>
    private async Task<PlacementGroupState> PollAsync(DateTime? deadline, CancellationToken cancellationToken)
    {
        var (runtime, grain) = Grain();
        var disposing = ((IRayRuntimeAccess)(_boundRay ?? Ray.CurrentOrNodeOfTask)).Disposing;
        using var linked = disposing.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, disposing) : null;
        var token = linked?.Token ?? cancellationToken;
        var delay = FirstPoll;
        try
        {
            while (true)
            {
                var info = await ClusterCalls.RunAsync(runtime, grain.GetAsync().WaitAsync(token)).ConfigureAwait(false);
                Remember(info);
                var state = info?.State ?? PlacementGroupState.Removed;
                if (state != PlacementGroupState.Pending)
                {
                    return state;
                }

                var wait = delay;
                if (deadline is { } d)
                {
                    var left = d - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        return PlacementGroupState.Pending;
                    }

                    wait = left < wait ? left : wait;
                }

                await Task.Delay(wait, token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(MaxPoll.Ticks, delay.Ticks * 2));
            }
        }
        catch (OperationCanceledException) when (disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Transport.LocalNode.ShutDown();
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested && ex.CancellationToken != cancellationToken)
        {
            throw new OperationCanceledException(ex.Message, ex, cancellationToken); // the caller's token, not the linked one
        }
    }

    private void Remember(PlacementGroupInfo? info)
    {
        if (info is { State: PlacementGroupState.Created } && info.BundleNodes.Length == _shapes.Length)
        {
            _bundleNodes = info.BundleNodes;
        }
        else if (info is null or { State: PlacementGroupState.Removed })
        {
            _bundleNodes = null;
        }
    }

    /// <summary>The group as work in it carries it (<see cref="PlacementHint.Group"/>), made once per handle and flag.</summary>
    internal PlacementGroupMembership Membership(bool captureChildTasks)
    {
        ref var slot = ref captureChildTasks ? ref _capturing : ref _member;
        return slot ??= new PlacementGroupMembership(Id, Name, RayInstance.ToWire(Strategy), _shapes, captureChildTasks);
    }

    /// <summary>A handle on the group that work carries (<see cref="RayContext.PlacementGroup"/>), bound to no driver:
    /// its calls go through the driver or node of the code that makes them.</summary>
    internal static PlacementGroup From(PlacementGroupMembership membership) =>
        new(membership.Id, membership.Name, RayInstance.FromWire(membership.Strategy), membership.Bundles, boundRay: null);

    /// <summary>The group's grain, and the runtime asking it.</summary>
    private (NodeRuntime Runtime, IPlacementGroupGrain Grain) Grain()
    {
        var runtime = IRayRuntimeAccess.Live(_boundRay ?? Ray.CurrentOrNodeOfTask);
        return (runtime, runtime.GrainFactory.GetGrain<IPlacementGroupGrain>(Id));
    }

    /// <summary>The shape a task or actor of this group asks for: <paramref name="shape"/> under the names of bundle
    /// <paramref name="bundleIndex"/> (-1: any bundle), after checking the index and that the bundle can hold it.</summary>
    internal ResourceSet Rename(ResourceSet shape, int bundleIndex, string owner)
    {
        if (bundleIndex < -1 || bundleIndex >= _shapes.Length)
        {
            throw new ArgumentException(
                $"{owner}.BundleIndex is {bundleIndex}, but {this} has bundles 0 to {_shapes.Length - 1} (or -1 for any bundle).", "BundleIndex");
        }

        var renamed = _renamed ??= new ConcurrentDictionary<(ResourceSet, int), ResourceSet>();
        if (renamed.TryGetValue((shape, bundleIndex), out var cached))
        {
            return cached;
        }

        // Any bundle (-1) still runs in one bundle: as Ray's check, the shape must fit at least one of them (the
        // bundles' sum would accept a task that waits forever once they sit on different nodes).
        if (bundleIndex >= 0 ? !shape.FitsIn(_shapes[bundleIndex]) : !Array.Exists(_shapes, shape.FitsIn))
        {
            var which = bundleIndex >= 0 ? $"bundle {bundleIndex} of {this} holds: {_shapes[bundleIndex]}" : $"any one bundle of {this} holds: {string.Join(", ", _shapes)}";
            throw new ArgumentException(
                $"{owner} asks for {shape}, more than {which}. Ask for at most one bundle's resources " +
                "(a task asks for 1 CPU by default: set NumCpus = 0 for a bundle without CPU).", owner);
        }

        var result = ResourceSet.From(shape.Items.Select(kv => new KeyValuePair<string, double>(new BundleKey(Id, bundleIndex).ResourceName(kv.Key), kv.Value)));
        renamed.TryAdd((shape, bundleIndex), result);
        return result;
    }

    /// <summary>Where a task or actor of this group goes: to the bundle's node (softly) when this handle knows it. Its
    /// renamed resources lead it there too, but only once that node's report (every second) shows the bundle: an actor
    /// created right after <see cref="ReadyAsync"/> would otherwise be placed on a stale view and wait on a node without
    /// the bundle. One that asks for nothing has no such resource; with any bundle (-1) it goes to bundle 0's node.</summary>
    /// <param name="bundleIndex">The bundle, or -1 for any.</param>
    /// <param name="asksForNothing">The work asks for no resources.</param>
    /// <param name="captureChildTasks">The work's children go into the group too (Ray's
    /// <c>placement_group_capture_child_tasks</c>).</param>
    internal PlacementHint ToHint(int bundleIndex, bool asksForNothing, bool captureChildTasks)
    {
        var hint = new PlacementHint { Kind = PlacementKind.PlacementGroup, PlacementGroupId = Id, BundleIndex = bundleIndex, Group = Membership(captureChildTasks) };
        if ((asksForNothing || bundleIndex >= 0) && _bundleNodes is { } nodes)
        {
            var node = nodes[bundleIndex < 0 ? 0 : bundleIndex];
            if (node.Value is not null)
            {
                return hint with { Node = node, Soft = true };
            }
        }

        return hint;
    }
}
