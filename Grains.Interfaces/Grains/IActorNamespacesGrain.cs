namespace OrleansRay.Grains;

/// <summary>The namespaces that have had named actors (key: 0), so a listing of every namespace's named actors (Ray's
/// <c>ray.util.list_named_actors(all_namespaces=True)</c>) knows which <see cref="IActorDirectoryGrain"/>s to ask. A
/// directory adds its namespace when it activates holding names, and at its first registration after it activates.</summary>
[Alias("orleansray.IActorNamespacesGrain")]
public interface IActorNamespacesGrain : IGrainWithIntegerKey
{
    /// <summary>Records <paramref name="namespace"/> (idempotent). Returns once it is stored.</summary>
    [Alias("Add")]
    Task AddAsync(string @namespace);

    /// <summary>Every namespace recorded, in ordinal order.</summary>
    [Alias("List")]
    Task<IReadOnlyList<string>> ListAsync();
}
