using Orleans.Placement;

namespace OrleansRay.Cluster.TestApp;

/// <summary>A total in memory. Placed on its first caller's node, so a task pinned to a node activates it there.</summary>
[PreferLocalPlacement]
public sealed class TallyGrain(ILocalSiloDetails silo) : Grain, ITallyGrain
{
    private int _total;

    public Task<int> AddAsync(int amount) => Task.FromResult(_total += amount);

    public Task<string> NodeAsync() => Task.FromResult(silo.SiloAddress.ToParsableString());
}
