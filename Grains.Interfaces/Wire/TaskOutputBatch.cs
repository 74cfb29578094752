namespace OrleansRay;

/// <summary>Lines that tasks and actor calls of a connected driver's job printed on one node (Ray's
/// <c>log_to_driver</c>): the driver prints each as <c>(NAME pid=PID, ip=ADDRESS) text</c>.</summary>
/// <param name="Pid">The process id of the node that ran the code.</param>
/// <param name="Ip">The node's IP address.</param>
/// <param name="Lines">The lines, in the order they were written.</param>
/// <param name="Dropped">Lines of the driver's job this node dropped since its last batch because the queue for the
/// driver was full (its tasks printed faster than the driver received them): the driver says so once.</param>
[GenerateSerializer, Immutable, Alias("orleansray.taskoutputbatch")]
public sealed record TaskOutputBatch(
    [property: Id(0)] int Pid,
    [property: Id(1)] string Ip,
    [property: Id(2)] TaskOutputLine[] Lines,
    [property: Id(3)] int Dropped);
