namespace OrleansRay.Train;

/// <summary>What a <see cref="TrainProgress"/> event says.</summary>
public enum TrainProgressKind
{
    /// <summary>The workers' placement group is not placed yet; <see cref="TrainProgress.Message"/> names the bundles
    /// it waits for and whether the cluster can ever hold them (infeasible). Repeated while it waits.</summary>
    PlacementPending,

    /// <summary>Every worker started; the message says which node holds each rank.</summary>
    WorkersStarted,

    /// <summary>Every worker reported once more (a <see cref="TrainContext.ReportAsync"/> barrier); the metrics are rank 0's.</summary>
    Reported,

    /// <summary>An attempt failed and the group restarts from the latest checkpoint.</summary>
    Restarting,

    /// <summary>The run finished: every loop returned.</summary>
    Finished,

    /// <summary>The run failed (the message says which rank and why) or was cancelled.</summary>
    Failed,

    /// <summary>The run's folder (<see cref="RunConfig.StoragePath"/>/<see cref="RunConfig.Name"/>) held an earlier run's
    /// reports, and this run goes on from them (Ray Train's job driver fault tolerance): the message names how many and
    /// the checkpoint <see cref="TrainContext.GetCheckpoint"/> gives; the new reports are numbered after them.</summary>
    Resuming,
}
