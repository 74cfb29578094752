using OrleansRay.Cluster.TestApp;
using OrleansRay.Hosting;
using Xunit;

namespace OrleansRay.Tests.Code;

/// <summary>Which assemblies a driver ships with its job (<see cref="JobCodeUpload.Find"/>).</summary>
public sealed class JobAssembliesTests
{
    [Fact]
    public void A_project_named_only_by_an_Orleans_application_part_attribute_is_shipped_with_the_job()
    {
        // The cluster test app references OrleansRay.Train, which uses the Orleans SDK: Orleans' generated
        // [assembly: ApplicationPart("OrleansRay.Train")] names it, and a node registering the job's serializers loads it,
        // whether or not the app's code (its metadata) uses it.
        var app = typeof(Acceptance).Assembly;
        var parts = app.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "Orleans.ApplicationPartAttribute")
            .Select(a => (string)a.ConstructorArguments[0].Value!)
            .ToList();
        Assert.Contains("OrleansRay.Train", parts);

        var shipped = JobCodeUpload.Find(app, []).Select(a => a.GetName().Name).ToList();

        Assert.Contains("OrleansRay.Cluster.TestApp", shipped);
        Assert.Contains("OrleansRay.Train", shipped);
        // OrleansRay itself and what it brings (Orleans) are on every node: not shipped.
        Assert.DoesNotContain("OrleansRay", shipped);
        Assert.DoesNotContain("Orleans.Core", shipped);
    }
}
