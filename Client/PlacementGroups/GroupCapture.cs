using OrleansRay.Actors;
using OrleansRay.Execution;
using OrleansRay.Grains;

namespace OrleansRay;

/// <summary>Ray's <c>placement_group_capture_child_tasks</c>: the placement group of the running task or actor, and
/// where a child it submits goes when that one captures its children.</summary>
internal static class GroupCapture
{
    /// <summary>The placement group the running task or actor method (or actor constructor) is in; null outside one and
    /// for work in no group. A plain task's context is not made to answer.</summary>
    public static PlacementGroupMembership? Running()
    {
        switch (TaskContext.Saved)
        {
            case null:
                return null;
            case ICancellableWork work: // a plain task whose context its code has not asked for
                return work.Group;
            default:
                var context = TaskContext.Current;
                return context?.Work?.Group ?? (context?.Submitter as ActorCaller)?.Group;
        }
    }

    /// <summary>The group a child submitted now goes into: the running work's, when it captures its children; else null.</summary>
    public static PlacementGroupMembership? Current() => Running() is { CaptureChildTasks: true } group ? group : null;

    /// <summary>A captured child's resources (renamed for any bundle of <paramref name="group"/>) and placement; it
    /// captures its own children in turn, as in Ray.</summary>
    /// <exception cref="ArgumentException">No bundle of the group could ever hold <paramref name="shape"/>.</exception>
    public static (ResourceSet Resources, PlacementHint Placement) Place(ResourceSet shape, PlacementGroupMembership group, string owner)
    {
        var handle = PlacementGroup.From(group);
        ResourceSet resources;
        try
        {
            resources = handle.Rename(shape, -1, owner);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException(
                $"{ex.Message} It was to run in {handle} because the task or actor submitting it captures its children " +
                $"(PlacementGroupCaptureChildTasks); set {owner}.SchedulingStrategy to place it outside the group.", ex.ParamName, ex);
        }

        return (resources, handle.ToHint(-1, shape.IsEmpty, captureChildTasks: true));
    }
}
