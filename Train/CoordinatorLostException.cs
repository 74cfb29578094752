namespace OrleansRay.Train;

/// <summary>A worker's <see cref="TrainContext.ReportAsync"/> failed because the run's coordinator died (with its node):
/// the attempt ends, and the driver attributes the failure to no rank (<see cref="TrainingFailedException.Rank"/> -1).</summary>
internal sealed class CoordinatorLostException : RayException
{
    /// <summary>Creates the exception with its reason.</summary>
    public CoordinatorLostException(string message)
        : base(message)
    {
    }
}
