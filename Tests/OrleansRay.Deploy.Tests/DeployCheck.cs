using System.Text.Json;
using OrleansRay.Tests.Processes;

namespace OrleansRay.Deploy.Tests;

/// <summary>The node tools in tools/deploy-check (kubernetes-models, dockerfilelint, yaml, pinned by its
/// package-lock.json) and kubectl, run as processes with deadlines. Installs the node packages with <c>npm ci</c> once
/// when node_modules is missing (a fresh clone).</summary>
internal static class DeployCheck
{
    private static readonly TimeSpan InstallDeadline = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan ToolDeadline = TimeSpan.FromSeconds(60);
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    public static string Folder { get; } = Path.Combine(RepositoryFiles.Root, "tools", "deploy-check");

    public static string DeployFolder { get; } = Path.Combine(RepositoryFiles.Root, "deploy");

    /// <summary>Runs <c>npm ci</c> when a package package.json pins is missing or at another version.</summary>
    public static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (_installed)
            {
                return;
            }

            var needed = PinnedVersions().Any(p => InstalledVersion(p.Name) != p.Version);
            if (needed)
            {
                var result = await ProcessRunner.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], InstallDeadline, workingDirectory: Folder);
                Assert.True(result.ExitCode == 0, $"npm ci in {Folder} failed: {result}");
            }

            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>The exact versions package.json pins (package-lock.json pins their dependencies).</summary>
    private static IEnumerable<(string Name, string Version)> PinnedVersions()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "package.json")));
        return json.RootElement.GetProperty("dependencies").EnumerateObject().Select(p => (p.Name, p.Value.GetString() ?? string.Empty)).ToList();
    }

    private static string? InstalledVersion(string package)
    {
        var file = Path.Combine(Folder, "node_modules", package, "package.json");
        if (!File.Exists(file))
        {
            return null;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        return json.RootElement.TryGetProperty("version", out var version) ? version.GetString() : null;
    }

    /// <summary>Runs one of the folder's scripts (or a package's binary under node_modules/.bin) with node.</summary>
    public static async Task<ProcessResult> NodeAsync(string script, params string[] arguments)
    {
        await EnsureInstalledAsync();
        return await ProcessRunner.RunAsync("node", [Path.Combine(Folder, script), .. arguments], ToolDeadline, workingDirectory: Folder);
    }

    public static Task<ProcessResult> DockerfileLintAsync(string dockerfile) =>
        NodeAsync(Path.Combine("node_modules", "dockerfilelint", "bin", "dockerfilelint"), "--json", dockerfile);

    public static Task<ProcessResult> KubectlKustomizeAsync(string folder) =>
        ProcessRunner.RunAsync("kubectl", ["kustomize", folder], ToolDeadline);

    /// <summary>Writes <paramref name="text"/> to a new temp file and returns its path.</summary>
    public static string TempFile(string text, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"orleansray-deploy-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, text);
        return path;
    }
}
