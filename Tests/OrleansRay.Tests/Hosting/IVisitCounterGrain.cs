namespace OrleansRay.Tests.Hosting;

/// <summary>A grain of the application itself, as an existing Orleans application has them: nothing of OrleansRay.</summary>
public interface IVisitCounterGrain : IGrainWithStringKey
{
    Task<int> VisitAsync();
}
