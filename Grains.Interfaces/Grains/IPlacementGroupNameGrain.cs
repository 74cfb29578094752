namespace OrleansRay.Grains;

/// <summary>The placement-group names of one namespace (key: the namespace), as Ray's GCS keeps them: a name belongs to
/// at most one group of the namespace at a time, and is free again once that group is removed.</summary>
/// <remarks>The group's own grain claims its name before it records itself and releases it when removed, so a name and
/// its group come and go together. The table calls no other grain; a caller that finds the holder removed takes the name
/// over with <see cref="ClaimAsync"/>'s <c>replacing</c>.</remarks>
[Alias("orleansray.IPlacementGroupNameGrain")]
public interface IPlacementGroupNameGrain : IGrainWithStringKey
{
    /// <summary>Gives <paramref name="name"/> to <paramref name="group"/> when it is free, already held by
    /// <paramref name="group"/>, or held by <paramref name="replacing"/> (a holder the caller found removed;
    /// <see cref="Guid.Empty"/> for none). Returns the group that holds the name afterwards: <paramref name="group"/> when
    /// the claim succeeded, else the other holder. Atomic: of two claims of one name, one wins.</summary>
    [Alias("Claim")]
    Task<Guid> ClaimAsync(string name, Guid group, Guid replacing);

    /// <summary>The group holding <paramref name="name"/>, or null.</summary>
    [Alias("Lookup")]
    Task<Guid?> LookupAsync(string name);

    /// <summary>Frees <paramref name="name"/> if <paramref name="group"/> still holds it.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string name, Guid group);
}
