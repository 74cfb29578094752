namespace OrleansRay;

/// <summary>Ray's actor lifecycle states.</summary>
public enum ActorState
{
    /// <summary>Waiting for resources or for its constructor.</summary>
    Pending = 0,

    /// <summary>Constructed and taking calls.</summary>
    Alive = 1,

    /// <summary>Being re-created after a kill or a node death.</summary>
    Restarting = 2,

    /// <summary>Gone for good.</summary>
    Dead = 3,
}
