namespace OrleansRay.Cluster.Tests.Grains;

/// <summary>A counter whose value is persisted: it must survive a silo restart on ADO.NET grain storage.</summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();

    Task<int> GetAsync();

    Task ClearAsync();
}
