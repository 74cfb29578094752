namespace OrleansRay.Tests.Interop;

/// <summary>A grain interface no assembly of any node implements: what a driver sees when the grain class is not on
/// the cluster (e.g. it travels only with the job's shipped code).</summary>
public interface IUnhostedGrain : IGrainWithStringKey
{
    Task<int> PingAsync();
}
