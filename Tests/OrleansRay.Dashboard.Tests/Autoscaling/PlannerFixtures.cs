using OrleansRay.Silo.Autoscaling;

namespace OrleansRay.Dashboard.Tests.Autoscaling;

/// <summary>Builds planner inputs for the autoscaling tests: a head, worker types, nodes and demands.</summary>
internal static class PlannerFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public static ResourceSet Res(double cpu, params (string Name, double Amount)[] more) =>
        ResourceSet.From(more.Select(m => new KeyValuePair<string, double>(m.Name, m.Amount)).Prepend(new KeyValuePair<string, double>(ResourceSet.Cpu, cpu)));

    public static ResourceSet Only(string name, double amount) => ResourceSet.From([new KeyValuePair<string, double>(name, amount)]);

    /// <summary>The head of the scenario: 1 CPU, <paramref name="freeCpu"/> of it available.</summary>
    public static ClusterNode Head(double freeCpu = 0) =>
        new("head", null, IsHead: true, Res(1), Res(freeCpu), IdleSince: null, HasRunningWork: freeCpu < 1, HasActors: false, HasPrimaryObjects: false);

    /// <summary>A live worker of <paramref name="type"/> that is idle since <paramref name="idleSince"/> (null: busy).</summary>
    public static ClusterNode Worker(string id, string type, ResourceSet total, DateTimeOffset? idleSince, ResourceSet? available = null, bool actors = false, bool objects = false) =>
        new(id, type, IsHead: false, total, available ?? (idleSince is null ? ResourceSet.Empty : total), idleSince, HasRunningWork: idleSince is null, actors, objects);

    public static WorkerNodeType Type(string name, ResourceSet resources, int min = 0, int max = 2) => new(name, resources, min, max);

    public static PendingDemand Tasks(int count, ResourceSet shape) => new(shape, count, IsActor: false);

    public static PlannerInput Input(
        IReadOnlyList<WorkerNodeType> types,
        IReadOnlyList<ClusterNode>? nodes = null,
        IReadOnlyList<PendingDemand>? demands = null,
        IReadOnlyList<LaunchingNode>? launching = null,
        IReadOnlyList<PendingPlacementGroup>? groups = null,
        IReadOnlyList<ResourceSet>? requested = null,
        int maxWorkers = 10,
        double upscalingSpeed = 1.0,
        TimeSpan? idleTimeout = null,
        DateTimeOffset? now = null) =>
        new(
            types,
            new AutoscalerLimits(maxWorkers, upscalingSpeed, idleTimeout ?? TimeSpan.FromSeconds(5)),
            nodes ?? [Head()],
            launching ?? [],
            demands ?? [],
            groups ?? [],
            requested ?? [],
            now ?? Now);
}
