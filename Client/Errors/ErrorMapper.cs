namespace OrleansRay;

/// <summary>Turns a captured <see cref="RayError"/> into the public exception of its kind.</summary>
internal static class ErrorMapper
{
    public static RayException ToException(RayError error) => error.Kind switch
    {
        RayErrorKind.Cancelled => new TaskCancelledException(error),
        RayErrorKind.ActorDied => new ActorDiedException(error),
        RayErrorKind.ObjectLost => new ObjectLostException(error),
        RayErrorKind.NodeDied => new NodeDiedException(error),
        RayErrorKind.FunctionUnavailable => new RemoteFunctionNotFoundException(error),
        RayErrorKind.ClusterLost => new ClusterLostException(error),
        _ => new RayTaskException(error),
    };
}
