namespace ShipApp;

/// <summary>An ordinary grain interface whose class (<see cref="ShippedGrain"/>) only travels with the job: no node
/// loaded it at start, so no node can host it.</summary>
public interface IShippedGrain : IGrainWithStringKey
{
    Task<int> PingAsync();
}
