using Xunit.Abstractions;
using Xunit.Sdk;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>Runs a class's tests in the ordinal order of their method names. For speed only, never for correctness:
/// each test still brings its cluster to the shape it needs (e.g. <see cref="TrainCluster.ResetAsync"/>), but tests that
/// need every node come first and those that kill nodes last, so no node is started again in between.</summary>
public sealed class ByNameOrderer : ITestCaseOrderer
{
    /// <summary>The name to give <c>[TestCaseOrderer]</c>.</summary>
    public const string TypeName = "OrleansRay.Cluster.Tests.Fixtures.ByNameOrderer";

    /// <summary>The assembly to give <c>[TestCaseOrderer]</c>.</summary>
    public const string AssemblyName = "OrleansRay.Cluster.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal).ThenBy(t => t.UniqueID, StringComparer.Ordinal);
}
