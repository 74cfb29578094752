namespace OrleansRay.Grains;

/// <summary>The named-actor table of one namespace (key: the namespace). Sharded by namespace, never one hot grain.</summary>
[Alias("orleansray.IActorDirectoryGrain")]
public interface IActorDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Claims <paramref name="info"/>'s name; returns the id already holding it when taken by a live actor.</summary>
    [Alias("Register")]
    Task<ActorId> RegisterAsync(ActorInfo info);

    /// <summary>The live actor of that name, or null.</summary>
    [Alias("Lookup")]
    Task<ActorInfo?> LookupAsync(string name);

    /// <summary>Releases the name if <paramref name="actorId"/> still holds it.</summary>
    [Alias("Unregister")]
    Task UnregisterAsync(string name, ActorId actorId);

    /// <summary>All named actors of the namespace.</summary>
    [Alias("List")]
    Task<IReadOnlyList<ActorInfo>> ListAsync();
}
