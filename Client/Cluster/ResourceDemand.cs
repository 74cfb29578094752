using System.Globalization;

namespace OrleansRay;

/// <summary>Pending work of one resource shape: tasks, actors, or placement groups waiting for their bundles.</summary>
/// <param name="Shape">The resources each asks for; for a placement group, the sum of its bundles.</param>
/// <param name="Count">How many are waiting.</param>
/// <param name="IsInfeasible">True when no node has that much of some resource: it waits until such a node joins. For a
/// placement group: the live nodes could not hold all its bundles by its strategy even if they were empty.</param>
/// <param name="IsActor">True for actors waiting to be placed, false for tasks and placement groups.</param>
public sealed record ResourceDemand(IReadOnlyDictionary<string, double> Shape, int Count, bool IsInfeasible, bool IsActor)
{
    /// <summary>For pending placement groups (Ray's "pending placement groups"): the bundles of each, in index order;
    /// null for tasks and actors.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>>? Bundles { get; init; }

    /// <summary>For pending placement groups: their strategy; null for tasks and actors.</summary>
    public PlacementStrategy? Strategy { get; init; }

    /// <summary>True when the demand is of placement groups waiting for their bundles (<see cref="Bundles"/>).</summary>
    public bool IsPlacementGroup => Bundles is not null;

    /// <summary>The shape in Ray's notation, then how many of what wait, and whether no node could run them:
    /// <c>{"CPU": 1.0, "GPU": 0.5} ×3 tasks</c>, <c>{"accel": 8.0} ×1 actor, infeasible</c>; a placement group's bundles
    /// as Ray's status writes them, each distinct shape with its count, then its strategy:
    /// <c>{"CPU": 1.0} * 5 (PACK) ×1 placement group, infeasible</c>.</summary>
    public override string ToString()
    {
        var what = IsPlacementGroup ? "placement group" : IsActor ? "actor" : "task";
        return $"{ShapeText()} ×{Count} {what}{(Count == 1 ? string.Empty : "s")}{(IsInfeasible ? ", infeasible" : string.Empty)}";
    }

    private string ShapeText()
    {
        if (Bundles is null)
        {
            return ResourceSet.Describe(Shape ?? new Dictionary<string, double>());
        }

        var bundles = string.Join(", ", Bundles
            .Select(b => ResourceSet.Describe(b ?? new Dictionary<string, double>()))
            .GroupBy(b => b, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} * {g.Count()}")));
        return $"{bundles} ({StrategyName(Strategy)})";
    }

    private static string StrategyName(PlacementStrategy? strategy) => strategy switch
    {
        PlacementStrategy.Spread => "SPREAD",
        PlacementStrategy.StrictPack => "STRICT_PACK",
        PlacementStrategy.StrictSpread => "STRICT_SPREAD",
        _ => "PACK",
    };
}
