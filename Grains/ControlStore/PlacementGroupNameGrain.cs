using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>Named placement groups of one namespace: name → group id. Lives on the head and writes through to the control
/// store's grain storage (PostgreSQL in cluster mode, memory when embedded), so a restarted head still refuses a name
/// whose group lives on.</summary>
/// <remarks>Not reentrant and calling no other grain: each claim reads and changes the table in one turn, which is what
/// makes two concurrent creations of one name end with one winner.</remarks>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.placementgroupname")] // not Orleans' default "placementgroupname": an application grain class of that name would clash (hosting)
internal sealed class PlacementGroupNameGrain : Grain, IPlacementGroupNameGrain
{
    private readonly PersistedRows<Dictionary<string, Guid>> _stored;
    private Dictionary<string, Guid> _byName = new(StringComparer.Ordinal);

    public PlacementGroupNameGrain(
        [PersistentState("placementgroupnames", ControlStoreStorage.Name)] IPersistentState<SerializedRows> state,
        Serializer serializer,
        ILogger<PlacementGroupNameGrain> logger)
    {
        _stored = new PersistedRows<Dictionary<string, Guid>>(state, serializer, logger, "placement group names");
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_stored.Load() is { } rows)
        {
            _byName = new Dictionary<string, Guid>(rows, StringComparer.Ordinal);
        }

        return Task.CompletedTask;
    }

    public async Task<Guid> ClaimAsync(string name, Guid group, Guid replacing)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_byName.TryGetValue(name, out var holder) && holder != group && (replacing == Guid.Empty || holder != replacing))
        {
            return holder;
        }

        if (holder != group)
        {
            _byName[name] = group;
            await WriteAsync();
        }

        return group;
    }

    public Task<Guid?> LookupAsync(string name) =>
        Task.FromResult(_byName.TryGetValue(name, out var group) ? group : (Guid?)null);

    public async Task ReleaseAsync(string name, Guid group)
    {
        if (_byName.TryGetValue(name, out var holder) && holder == group)
        {
            _byName.Remove(name);
            await WriteAsync();
        }
    }

    private Task WriteAsync() => _stored.SaveAsync(new Dictionary<string, Guid>(_byName, StringComparer.Ordinal));
}
