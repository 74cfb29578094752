namespace ShipApp;

/// <summary>The class of <see cref="IShippedGrain"/>: in the job's shipped code only.</summary>
public sealed class ShippedGrain : Grain, IShippedGrain
{
    public Task<int> PingAsync() => Task.FromResult(1);
}
