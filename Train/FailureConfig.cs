namespace OrleansRay.Train;

/// <summary>How a run survives failures (Ray Train's <c>FailureConfig</c>).</summary>
public sealed class FailureConfig
{
    /// <summary>How many times the worker group is restarted, from the latest checkpoint, after an attempt fails (a worker
    /// died with its node, or a loop threw); then the run fails. 0: the first failure ends the run; -1: no limit.
    /// Default: 0, as in Ray.</summary>
    public int MaxFailures { get; set; }
}
