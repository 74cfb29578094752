using System.Diagnostics;
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

    /// <summary>How to start the TestApp with <paramref name="arguments"/> as a driver connected to
    /// <paramref name="cluster"/> (its own process, not a submitted job), its stdout and stderr redirected.</summary>
    public static ProcessStartInfo ConnectedDriver(LocalCluster cluster, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ORLEANSRAY_ADDRESS"] = cluster.Address;
        start.Environment["ORLEANSRAY_AUTH_TOKEN"] = cluster.AuthToken;
        // The core dump of an abort is of no use here and slow to write.
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        return start;
    }

    private static string Find() =>
        RepositoryFiles.BuildOutput(Path.Combine("Tests", "OrleansRay.Cluster.TestApp"), "OrleansRay.Cluster.TestApp.dll");
}
