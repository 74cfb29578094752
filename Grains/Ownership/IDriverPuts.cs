namespace OrleansRay.Ownership;

/// <summary>A connected driver's puts into the store of the node it connected through, each recorded by that node as
/// the driver's (<see cref="DriverObjects"/>), so the node frees them when the driver is gone: over the store's transfer
/// endpoint (<see cref="NodeStorePuts"/>, a driver on another machine) or straight into the store it attached
/// (<see cref="RecordedStorePuts"/>, a driver on the node's machine).</summary>
internal interface IDriverPuts : IObjectStorePuts
{
    /// <summary>Tells the node this driver leaves: it deletes the objects this driver put there and has not freed.</summary>
    /// <remarks>Best effort: a node that does not hear it frees them once the job table shows the job ended.</remarks>
    Task ReleaseAsync();
}
