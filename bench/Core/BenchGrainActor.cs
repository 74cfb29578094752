namespace OrleansRay.Bench.Core;

/// <summary>The implementation of <see cref="IBenchGrainActor"/>: returns its argument, as the raw baseline's grain.</summary>
/// <remarks>In the bench assembly, which the connected benchmarks' node processes load at start (<c>--load</c>): a
/// grain class must be on the node when its silo starts.</remarks>
internal sealed class BenchGrainActor : ActorGrain, IBenchGrainActor
{
    public Task<int> Echo(int value) => Task.FromResult(value);
}
