namespace OrleansRay;

/// <summary>Ray's placement-group states.</summary>
public enum PlacementGroupState
{
    /// <summary>Not every bundle is reserved yet (they do not fit now, or a node holding one died): retried until they fit.</summary>
    Pending = 0,

    /// <summary>Every bundle is reserved on a node.</summary>
    Created = 1,

    /// <summary>Removed: its tasks and actors were ended, its bundles are free again, and work submitted to it fails.</summary>
    Removed = 2,
}
