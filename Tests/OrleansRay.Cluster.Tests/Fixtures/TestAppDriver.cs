using OrleansRay.Tests.Processes;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>The TestApp as a driver program (its <c>Program.Main</c>): what the job tests submit with
/// <c>orleansray job submit -- dotnet OrleansRay.Cluster.TestApp.dll VERB</c>.</summary>
public static class TestAppDriver
{
    /// <summary>The TestApp's own build output (Tests/OrleansRay.Cluster.TestApp/bin/&lt;configuration&gt;/net10.0): its
    /// deps.json and runtimeconfig.json are made for running it, unlike the copy next to the tests.</summary>
    public static string Assembly { get; } = Find();

    /// <summary>The command line of a job running the TestApp with <paramref name="arguments"/>.</summary>
    public static string[] Command(params string[] arguments) => ["dotnet", Assembly, .. arguments];

    private static string Find() =>
        RepositoryFiles.BuildOutput(Path.Combine("Tests", "OrleansRay.Cluster.TestApp"), "OrleansRay.Cluster.TestApp.dll");
}
