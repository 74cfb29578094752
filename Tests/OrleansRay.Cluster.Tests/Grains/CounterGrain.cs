namespace OrleansRay.Cluster.Tests.Grains;

internal sealed class CounterGrain : Grain, ICounterGrain
{
    private readonly IPersistentState<CounterState> _state;

    public CounterGrain([PersistentState("counter", storageName: "counter")] IPersistentState<CounterState> state)
    {
        _state = state;
    }

    public async Task<int> IncrementAsync()
    {
        _state.State.Value++;
        await _state.WriteStateAsync();
        return _state.State.Value;
    }

    public Task<int> GetAsync() => Task.FromResult(_state.State.Value);

    public Task ClearAsync() => _state.ClearStateAsync();
}
