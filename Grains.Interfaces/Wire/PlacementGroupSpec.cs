namespace OrleansRay.Grains;

/// <summary>How a placement group's bundles are laid over nodes, as it travels (the public enum is OrleansRay.PlacementStrategy).</summary>
public enum PlacementGroupStrategy
{
    /// <summary>As few nodes as possible; several when one cannot hold them all.</summary>
    Pack = 0,

    /// <summary>Different nodes where possible; shared when there are not enough.</summary>
    Spread = 1,

    /// <summary>All on one node, or pending.</summary>
    StrictPack = 2,

    /// <summary>Each on a different node, or pending.</summary>
    StrictSpread = 3,
}

/// <summary>What a driver asks for when it creates a placement group.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.placementgroupspec")]
public sealed record PlacementGroupSpec
{
    /// <summary>The group's name (optional): unique among the live groups of <see cref="Namespace"/>, found by it, and
    /// shown in diagnostics.</summary>
    [Id(0)] public string? Name { get; init; }

    [Id(1)] public PlacementGroupStrategy Strategy { get; init; }

    /// <summary>The bundles' shapes, in index order; each asks for something.</summary>
    [Id(2)] public ResourceSet[] Bundles { get; init; } = Array.Empty<ResourceSet>();

    /// <summary>The namespace of the creating driver, which holds <see cref="Name"/>; null reads as "default" (a row
    /// written before groups had namespaces).</summary>
    [Id(3)] public string? Namespace { get; init; }

    /// <summary>The job that created the group, by its driver's worker id as text (the job table's
    /// <see cref="JobInfo.Driver"/>): the driver's own, or that of the job whose task or actor method created it. Null
    /// when none is known (a row written before groups had jobs, or code outside any job): such a group is kept as a
    /// detached one.</summary>
    [Id(4)] public string? Job { get; init; }

    /// <summary>Ray's <c>lifetime="detached"</c>: the group outlives <see cref="Job"/> and stays until removed. A group
    /// that is not detached is removed when its job ends.</summary>
    [Id(5)] public bool Detached { get; init; }

    /// <summary>True when the group ends with <see cref="Job"/>: it names a job and is not detached.</summary>
    public bool EndsWithJob => !Detached && !string.IsNullOrEmpty(Job);
}

/// <summary>A placement group as the control store knows it.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.placementgroupinfo")]
public sealed record PlacementGroupInfo
{
    [Id(0)] public Guid Id { get; init; }

    [Id(1)] public PlacementGroupSpec Spec { get; init; } = new();

    [Id(2)] public PlacementGroupState State { get; init; }

    /// <summary>The node holding each bundle (by index); default (no value) for a bundle not reserved.</summary>
    [Id(3)] public NodeId[] BundleNodes { get; init; } = Array.Empty<NodeId>();

    /// <summary>Why a pending group is pending (for diagnostics); null otherwise.</summary>
    [Id(4)] public string? PendingReason { get; init; }
}

/// <summary>The placement group a task or actor runs in, as its work travels (Ray's current placement group): what its
/// code's <c>RayContext.PlacementGroup</c> returns and, with <see cref="CaptureChildTasks"/>, the group its child tasks
/// and actors are placed in when they name no group or strategy of their own (Ray's
/// <c>placement_group_capture_child_tasks</c>).</summary>
/// <param name="Id">The group's id.</param>
/// <param name="Name">Its name, if it has one.</param>
/// <param name="Strategy">How its bundles are laid over nodes.</param>
/// <param name="Bundles">The bundles' shapes, in index order (a captured child is checked against them).</param>
/// <param name="CaptureChildTasks">True when the work's children go into the group too (and theirs, in turn).</param>
[GenerateSerializer, Immutable, Alias("orleansray.placementgroupmembership")]
public sealed record PlacementGroupMembership(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string? Name,
    [property: Id(2)] PlacementGroupStrategy Strategy,
    [property: Id(3)] ResourceSet[] Bundles,
    [property: Id(4)] bool CaptureChildTasks);
