using Microsoft.Extensions.Logging;
using OrleansRay.Grains;

namespace OrleansRay.ControlStore;

/// <summary>A named group's side of <see cref="IPlacementGroupNameGrain"/>: claims the name before the group records
/// itself, refusing one held by another live group, and releases it when the group is removed.</summary>
/// <remarks>Called on the <see cref="PlacementGroupGrain"/> activation's scheduler.</remarks>
internal static partial class PlacementGroupNames
{
    /// <summary>The namespace of a spec written before groups had one.</summary>
    private const string DefaultNamespace = "default";

    public static string NamespaceOf(PlacementGroupSpec spec) => spec.Namespace ?? DefaultNamespace;

    /// <summary>Claims <paramref name="spec"/>'s name (if any) for <paramref name="group"/>. A name still held by a group
    /// that is gone (removed, or never recorded: its creator died between claim and record) is taken over.</summary>
    /// <exception cref="ArgumentException">A live group of the namespace has the name.</exception>
    public static async Task ClaimAsync(IGrainFactory grains, Guid group, PlacementGroupSpec spec)
    {
        if (spec.Name is not { } name)
        {
            return;
        }

        var names = grains.GetGrain<IPlacementGroupNameGrain>(NamespaceOf(spec));
        var holder = await names.ClaimAsync(name, group, Guid.Empty);
        if (holder != group)
        {
            // A holder in the middle of its own creation answers once it is recorded (its grain takes one call at a time).
            var info = await grains.GetGrain<IPlacementGroupGrain>(holder).GetAsync();
            if (info is null || info.State == PlacementGroupState.Removed || !string.Equals(info.Spec.Name, name, StringComparison.Ordinal))
            {
                holder = await names.ClaimAsync(name, group, holder);
            }
        }

        if (holder != group)
        {
            throw new ArgumentException(
                $"A placement group named '{name}' already exists in namespace '{NamespaceOf(spec)}' ({holder:N}). " +
                $"Reach it with GetPlacementGroupAsync(\"{name}\"), remove it first (RemovePlacementGroupAsync), or choose another name.");
        }
    }

    /// <summary>Frees the name of a removed group, unless another group has taken it over meanwhile. A release that fails
    /// is logged and left: the next claim of the name finds the group removed and takes the name over.</summary>
    public static async Task ReleaseAsync(IGrainFactory grains, Guid group, PlacementGroupSpec spec, ILogger logger)
    {
        if (spec.Name is not { } name)
        {
            return;
        }

        try
        {
            await grains.GetGrain<IPlacementGroupNameGrain>(NamespaceOf(spec)).ReleaseAsync(name, group);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReleaseFailed(logger, group, name, ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement group {Id:N}: freeing its name {Name} failed ({ErrorType}: {Reason}); the next group of that name takes it over")]
    private static partial void LogReleaseFailed(ILogger logger, Guid id, string name, string errorType, string reason);
}
