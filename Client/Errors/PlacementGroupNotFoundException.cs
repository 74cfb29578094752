namespace OrleansRay;

/// <summary>GetPlacementGroupAsync found no live placement group of that name in the namespace (Ray's
/// <c>ray.util.get_placement_group</c> raising for an unknown name).</summary>
[GenerateSerializer, Alias("orleansray.PlacementGroupNotFoundException")]
public sealed class PlacementGroupNotFoundException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public PlacementGroupNotFoundException(string message) : base(message)
    {
    }
}
