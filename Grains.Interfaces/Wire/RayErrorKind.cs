namespace OrleansRay;

/// <summary>Why an object has no value; each kind maps to one public exception type.</summary>
public enum RayErrorKind
{
    /// <summary>The function or actor method threw.</summary>
    TaskFailed = 0,

    /// <summary>The task was cancelled.</summary>
    Cancelled = 1,

    /// <summary>The actor died, was killed, or its constructor threw.</summary>
    ActorDied = 2,

    /// <summary>Every copy of the object is gone.</summary>
    ObjectLost = 3,

    /// <summary>The node running the task died and retries ran out.</summary>
    NodeDied = 4,

    /// <summary>The function could not be found or called on the node (missing assembly, bad arguments).</summary>
    FunctionUnavailable = 5,

    /// <summary>A connected driver lost its cluster: no node answered it for the reconnect timeout (its
    /// <c>ClusterLostException</c>; Ray's driver exits once the GCS is gone past <c>gcs_rpc_server_reconnect_timeout_s</c>).</summary>
    ClusterLost = 6,
}
