using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>Named actors of one namespace. Keeps names unique: a name is free again once its actor dies. Lives on the
/// head and writes through to the cluster's grain storage, so a restarted head on PostgreSQL finds its detached actors.</summary>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.actordirectory")] // not Orleans' default "actordirectory": an application grain class of that name would clash (hosting)
internal sealed partial class ActorDirectoryGrain : Grain, IActorDirectoryGrain
{
    private readonly PersistedRows<Dictionary<string, ActorInfo>> _stored;
    private readonly ILogger<ActorDirectoryGrain> _logger;
    private Dictionary<string, ActorInfo> _byName = new(StringComparer.Ordinal);

    /// <summary>True once this activation recorded its namespace in <see cref="IActorNamespacesGrain"/>.</summary>
    private bool _announced;

    /// <summary>How long a name's new holder whose host knows no actor yet counts as live: its creation travels to its
    /// node after the name is claimed (Remote() returns at once), and a host asked before it arrives knows no actor.</summary>
    private static readonly TimeSpan CreationGrace = TimeSpan.FromSeconds(30);

    /// <summary>When this activation gave each name to its holder (<see cref="Stopwatch.GetTimestamp"/>); names loaded
    /// from storage have none, and their holders are asked.</summary>
    private readonly Dictionary<string, long> _claimedAt = new(StringComparer.Ordinal);

    public ActorDirectoryGrain(
        [PersistentState("names", ControlStoreStorage.Name)] IPersistentState<SerializedRows> state,
        Serializer serializer,
        ILogger<ActorDirectoryGrain> logger)
    {
        _stored = new PersistedRows<Dictionary<string, ActorInfo>>(state, serializer, logger, "actor names");
        _logger = logger;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_stored.Load() is { } rows)
        {
            _byName = new Dictionary<string, ActorInfo>(rows, StringComparer.Ordinal);
        }

        if (_byName.Count > 0)
        {
            await AnnounceAsync(); // names stored before the namespace was recorded (a table older than the record)
        }
    }

    public async Task<ActorInfo> RegisterAsync(ActorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (_byName.TryGetValue(info.Name, out var existing) && existing.ActorId != info.ActorId)
        {
            // Verify the holder still lives: a directory row can outlive an actor whose node died. A holder claimed
            // moments ago may not have reached its node yet (two creations of one name in a row): its host knows no
            // actor then, and only a dead one frees the name (killed, or its constructor threw).
            var live = await GrainFactory.GetGrain<IActorHostGrain>(existing.ActorId.ToGuid()).GetInfoAsync();
            var creating = _claimedAt.TryGetValue(info.Name, out var claimed) && Stopwatch.GetElapsedTime(claimed) < CreationGrace;
            if (live is null ? creating : live.State != ActorState.Dead)
            {
                return existing;
            }
        }

        _byName[info.Name] = info;
        _claimedAt[info.Name] = Stopwatch.GetTimestamp();
        await WriteAsync();
        await AnnounceAsync();
        return info;
    }

    /// <summary>Records this namespace for listings of every namespace, once per activation. A failure is logged and
    /// tried again at the next registration: the actor's name is claimed either way.</summary>
    private async Task AnnounceAsync()
    {
        if (_announced)
        {
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IActorNamespacesGrain>(0).AddAsync(this.GetPrimaryKeyString());
            _announced = true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogAnnounceFailed(_logger, ex, this.GetPrimaryKeyString());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record actor namespace '{Namespace}' for listings of every namespace; trying again at its next named actor")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception exception, string @namespace);

    public Task<ActorInfo?> LookupAsync(string name) =>
        Task.FromResult(_byName.TryGetValue(name, out var info) ? info : null);

    public async Task UnregisterAsync(string name, ActorId actorId)
    {
        if (_byName.TryGetValue(name, out var info) && info.ActorId == actorId)
        {
            _byName.Remove(name);
            _claimedAt.Remove(name);
            await WriteAsync();
        }
    }

    public Task<IReadOnlyList<ActorInfo>> ListAsync() => Task.FromResult<IReadOnlyList<ActorInfo>>(_byName.Values.ToList());

    private Task WriteAsync() => _stored.SaveAsync(new Dictionary<string, ActorInfo>(_byName, StringComparer.Ordinal));
}
