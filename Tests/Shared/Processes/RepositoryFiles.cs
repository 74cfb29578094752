using System.Reflection;

namespace OrleansRay.Tests.Processes;

/// <summary>Where the repository and the solution's build outputs are, seen from a test assembly's folder.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder that holds OrleansRay.sln, above the test assembly.</summary>
    /// <exception cref="DirectoryNotFoundException">No OrleansRay.sln above the test assembly.</exception>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the tests were built in (Debug or Release): the solution's other outputs are there.</summary>
    public static string Configuration { get; } =
        typeof(RepositoryFiles).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The built <paramref name="assembly"/> of the project in <paramref name="projectFolder"/> (relative to the
    /// root), in <see cref="Configuration"/>.</summary>
    /// <exception cref="FileNotFoundException">It has not been built: the message names the path.</exception>
    public static string BuildOutput(string projectFolder, string assembly)
    {
        var path = Path.Combine(Root, projectFolder, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansRay.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No OrleansRay.sln above {AppContext.BaseDirectory}.");
    }
}
