namespace OrleansRay.Grains;

/// <summary>The named-actor table of one namespace (key: the namespace). Sharded by namespace, never one hot grain.</summary>
[Alias("orleansray.IActorDirectoryGrain")]
public interface IActorDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Claims <paramref name="info"/>'s name; returns <paramref name="info"/> when claimed, or the row of the
    /// live actor already holding it (one claimed moments ago counts as live while its creation travels).</summary>
    [Alias("Register")]
    Task<ActorInfo> RegisterAsync(ActorInfo info);

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
