namespace OrleansRay.Bench.Core;

/// <summary>The benchmarks' actor behind a grain interface: the same one trivial call as the raw Orleans baseline's
/// <see cref="Baselines.IEchoGrain"/>, so the two rows differ only in what OrleansRay adds around the grain.</summary>
[Alias("orleansray.bench.IBenchGrainActor")]
public interface IBenchGrainActor : IActor
{
    /// <summary>Returns <paramref name="value"/>.</summary>
    [Alias("Echo")]
    Task<int> Echo(int value);
}
