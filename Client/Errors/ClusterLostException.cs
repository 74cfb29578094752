namespace OrleansRay;

/// <summary>A connected driver (<see cref="RayOptions.Address"/>) lost its cluster: the node it connected through is
/// gone (its port refuses connections; the driver gives up at once, as Ray's driver dies with its raylet), or no node
/// answered it for the reconnect timeout (<see cref="RayOptions.ReconnectTimeout"/>, default 60 s), because the cluster
/// was stopped or killed, or the network between them is down. Ray's driver exits once the GCS has been gone past
/// <c>gcs_rpc_server_reconnect_timeout_s</c>.</summary>
/// <remarks>From then on the driver's <see cref="IRay"/> is finished: every get, wait and actor call that was pending
/// fails with this exception, and so does every later use of the driver, its refs and its handles (until it is disposed;
/// after that, as for any disposed driver, <see cref="ObjectDisposedException"/>). The message names the
/// address and what happened. Connect a new driver through a node that runs, or start the cluster again, or restore the
/// network and connect a new driver
/// (<see cref="Ray.InitAsync"/>); its old refs cannot be read again. A cluster that answers again within the timeout
/// fails nothing (but see <see cref="RayOptions.ReconnectTimeout"/> for a paused head). Also thrown when the cluster
/// ended the driver's job (it did not hear the driver for 15 s, or <c>orleansray job stop</c>): the driver asks every
/// 10 s, and as soon as it hears the cluster again after a silence.</remarks>
[GenerateSerializer, Alias("orleansray.ClusterLostException")]
public sealed class ClusterLostException : RayException
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public ClusterLostException(string message) : base(message)
    {
    }

    internal ClusterLostException(RayError error) : base(error, error.Message, error.Original)
    {
    }
}
