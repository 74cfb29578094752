using System.Reflection;

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

    private static string Find()
    {
        var configuration = typeof(TestAppDriver).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansRay.sln")))
            {
                var path = Path.Combine(dir.FullName, "Tests", "OrleansRay.Cluster.TestApp", "bin", configuration, "net10.0", "OrleansRay.Cluster.TestApp.dll");
                return File.Exists(path) ? path : throw new FileNotFoundException($"Build the TestApp first: {path} is missing.");
            }
        }

        throw new DirectoryNotFoundException($"No OrleansRay.sln above {AppContext.BaseDirectory}.");
    }
}
