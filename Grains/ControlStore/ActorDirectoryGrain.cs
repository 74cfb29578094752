using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>Named actors of one namespace. Keeps names unique: a name is free again once its actor dies.</summary>
internal sealed class ActorDirectoryGrain : Grain, IActorDirectoryGrain
{
    private readonly Dictionary<string, ActorInfo> _byName = new(StringComparer.Ordinal);

    public async Task<ActorId> RegisterAsync(ActorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (_byName.TryGetValue(info.Name, out var existing) && existing.ActorId != info.ActorId)
        {
            // Verify the holder still lives: a directory row can outlive an actor whose node died.
            var live = await GrainFactory.GetGrain<IActorHostGrain>(existing.ActorId.ToGuid()).GetInfoAsync();
            if (live is not null && live.State != ActorState.Dead)
            {
                return existing.ActorId;
            }
        }

        _byName[info.Name] = info;
        return info.ActorId;
    }

    public Task<ActorInfo?> LookupAsync(string name) =>
        Task.FromResult(_byName.TryGetValue(name, out var info) ? info : null);

    public Task UnregisterAsync(string name, ActorId actorId)
    {
        if (_byName.TryGetValue(name, out var info) && info.ActorId == actorId)
        {
            _byName.Remove(name);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ActorInfo>> ListAsync() => Task.FromResult<IReadOnlyList<ActorInfo>>(_byName.Values.ToList());
}
