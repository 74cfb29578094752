namespace OrleansRay.Bench.Baselines;

/// <summary>A plain grain for the raw Orleans baseline: one trivial call.</summary>
[Alias("orleansray.bench.IEchoGrain")]
public interface IEchoGrain : IGrainWithIntegerKey
{
    [Alias("Echo")]
    Task<int> Echo(int value);
}
