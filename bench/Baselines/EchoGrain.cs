namespace OrleansRay.Bench.Baselines;

/// <summary>The raw Orleans baseline's plain grain: returns its argument.</summary>
internal sealed class EchoGrain : Grain, IEchoGrain
{
    public Task<int> Echo(int value) => Task.FromResult(value);
}
