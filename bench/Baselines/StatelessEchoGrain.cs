using Orleans.Concurrency;

namespace OrleansRay.Bench.Baselines;

/// <summary>The raw Orleans baseline's stateless worker (default: up to one local activation per core).</summary>
[StatelessWorker]
internal sealed class StatelessEchoGrain : Grain, IStatelessEchoGrain
{
    public Task<int> Echo(int value) => Task.FromResult(value);
}
