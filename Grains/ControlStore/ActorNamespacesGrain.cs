using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>The namespaces with named actors; see <see cref="IActorNamespacesGrain"/>. Lives on the head and writes
/// through to the control store's grain storage, so a restarted head on PostgreSQL still lists its detached actors'
/// namespaces.</summary>
[HeadPlacement]
[KeepAlive]
[GrainType("orleansray.actornamespaces")] // not Orleans' default "actornamespaces": an application grain class of that name would clash (hosting)
internal sealed class ActorNamespacesGrain : Grain, IActorNamespacesGrain
{
    private readonly PersistedRows<List<string>> _stored;
    private SortedSet<string> _namespaces = new(StringComparer.Ordinal);

    /// <summary>True while the last write failed: the next <see cref="AddAsync"/>, of any namespace, writes again.</summary>
    private bool _unsaved;

    public ActorNamespacesGrain(
        [PersistentState("actornamespaces", ControlStoreStorage.Name)] IPersistentState<SerializedRows> state,
        Serializer serializer,
        ILogger<ActorNamespacesGrain> logger)
    {
        _stored = new PersistedRows<List<string>>(state, serializer, logger, "actor namespaces");
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_stored.Load() is { } rows)
        {
            _namespaces = new SortedSet<string>(rows, StringComparer.Ordinal);
        }

        return Task.CompletedTask;
    }

    public async Task AddAsync(string @namespace)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        if (_namespaces.Add(@namespace) || _unsaved)
        {
            _unsaved = !await _stored.SaveAsync([.. _namespaces]);
        }
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult<IReadOnlyList<string>>([.. _namespaces]);
}
