namespace OrleansRay.Tests.Hosting;

/// <summary>An application grain whose class name is one of OrleansRay's control-store grains' (a job table is a
/// plausible grain of any application): its Orleans default grain type is "jobtable". Every silo that hosts this test
/// assembly's grains hosts it beside OrleansRay's own, which must not clash with it.</summary>
public interface IJobTableGrain : IGrainWithIntegerKey
{
    Task<string> DescribeAsync();
}

/// <summary>The application's own job table.</summary>
public sealed class JobTableGrain : Grain, IJobTableGrain
{
    public Task<string> DescribeAsync() => Task.FromResult("the application's job table");
}

/// <summary>Another application grain named as one of OrleansRay's ("autoscaler").</summary>
public interface IAutoscalerGrain : IGrainWithIntegerKey
{
    Task<int> TargetAsync();
}

/// <summary>The application's own autoscaler.</summary>
public sealed class AutoscalerGrain : Grain, IAutoscalerGrain
{
    public Task<int> TargetAsync() => Task.FromResult(3);
}
