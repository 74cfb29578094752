namespace OrleansRay.Tests.Hosting;

/// <summary>Counts the visits of its key, in memory.</summary>
public sealed class VisitCounterGrain : Grain, IVisitCounterGrain
{
    private int _visits;

    public Task<int> VisitAsync() => Task.FromResult(++_visits);
}
