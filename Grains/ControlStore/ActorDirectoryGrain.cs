using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Cluster;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The persisted part of a namespace's named actors (Orleans-serialized rows, so any store can hold them).</summary>
[GenerateSerializer, Alias("orleansray.actordirectorystate")]
public sealed class ActorDirectoryState
{
    [Id(0)] public byte[]? Rows { get; set; }
}

/// <summary>Named actors of one namespace. Keeps names unique: a name is free again once its actor dies. Lives on the
/// head and writes through to the cluster's grain storage, so a restarted head on PostgreSQL finds its detached actors.</summary>
[HeadPlacement]
[KeepAlive]
internal sealed partial class ActorDirectoryGrain : Grain, IActorDirectoryGrain
{
    private readonly IPersistentState<ActorDirectoryState> _state;
    private readonly Serializer _serializer;
    private readonly ILogger<ActorDirectoryGrain> _logger;
    private Dictionary<string, ActorInfo> _byName = new(StringComparer.Ordinal);

    public ActorDirectoryGrain(
        [PersistentState("names", ControlStoreStorage.Name)] IPersistentState<ActorDirectoryState> state,
        Serializer serializer,
        ILogger<ActorDirectoryGrain> logger)
    {
        _state = state;
        _serializer = serializer;
        _logger = logger;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State.Rows is { Length: > 0 } rows)
        {
            try
            {
                _byName = new Dictionary<string, ActorInfo>(_serializer.Deserialize<Dictionary<string, ActorInfo>>(rows) ?? new(), StringComparer.Ordinal);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogUnreadable(_logger, this.GetPrimaryKeyString(), ex.Message);
            }
        }

        return Task.CompletedTask;
    }

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
        await WriteAsync();
        return info.ActorId;
    }

    public Task<ActorInfo?> LookupAsync(string name) =>
        Task.FromResult(_byName.TryGetValue(name, out var info) ? info : null);

    public async Task UnregisterAsync(string name, ActorId actorId)
    {
        if (_byName.TryGetValue(name, out var info) && info.ActorId == actorId)
        {
            _byName.Remove(name);
            await WriteAsync();
        }
    }

    public Task<IReadOnlyList<ActorInfo>> ListAsync() => Task.FromResult<IReadOnlyList<ActorInfo>>(_byName.Values.ToList());

    private async Task WriteAsync()
    {
        try
        {
            _state.State.Rows = _serializer.SerializeToArray(new Dictionary<string, ActorInfo>(_byName, StringComparer.Ordinal));
            await _state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWriteFailed(_logger, this.GetPrimaryKeyString(), ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored names of namespace {Namespace} could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string @namespace, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the names of namespace {Namespace} failed ({ErrorType}: {Reason}); the head keeps them in memory")]
    private static partial void LogWriteFailed(ILogger logger, string @namespace, string errorType, string reason);
}
