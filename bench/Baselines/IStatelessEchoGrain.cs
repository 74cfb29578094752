namespace OrleansRay.Bench.Baselines;

/// <summary>A <c>[StatelessWorker]</c> grain for the raw Orleans baseline: one trivial call.</summary>
[Alias("orleansray.bench.IStatelessEchoGrain")]
public interface IStatelessEchoGrain : IGrainWithIntegerKey
{
    [Alias("Echo")]
    Task<int> Echo(int value);
}
