namespace OrleansRay.Train.Collective;

/// <summary>How <c>AllReduceAsync</c> combines the ranks' values element by element (Ray's <c>ReduceOp</c> of
/// <c>ray.util.collective</c>, as in torch.distributed).</summary>
public enum ReduceOp
{
    /// <summary>The sum over all ranks.</summary>
    Sum,

    /// <summary>The sum over all ranks divided by the world size.</summary>
    Mean,

    /// <summary>The largest value over all ranks.</summary>
    Max,

    /// <summary>The smallest value over all ranks.</summary>
    Min,
}
