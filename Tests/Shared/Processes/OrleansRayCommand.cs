using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace OrleansRay.Tests.Processes;

/// <summary>Runs the built <c>orleansray</c> command (the Silo project's build output) as a real process, with its
/// files in a private temp folder (<c>ORLEANSRAY_TEMP_DIR</c>); kills every node it started on dispose.</summary>
internal sealed class OrleansRayCommand : IDisposable
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);

    private readonly Dictionary<string, string> _environment;

    /// <param name="tempPrefix">Name prefix of the private temp folder. Keep it short: the node's object store puts
    /// its Unix socket below it, and socket paths are limited to 107 bytes.</param>
    /// <param name="environment">More environment variables of every command (and so of the nodes it starts).</param>
    public OrleansRayCommand(string tempPrefix = "orleansray-cli-", IReadOnlyDictionary<string, string>? environment = null)
    {
        TempDirectory = Path.Combine(Path.GetTempPath(), tempPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(TempDirectory);
        _environment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["ORLEANSRAY_TEMP_DIR"] = TempDirectory };
    }


    /// <summary>The folder standing in for /tmp/orleansray.</summary>
    public string TempDirectory { get; }

    public string AddressFile => Path.Combine(TempDirectory, "orleansray_current_cluster");

    public string NodesDirectory => Path.Combine(TempDirectory, "nodes");

    /// <summary>OrleansRay.Cli.dll in Silo/bin/&lt;configuration&gt;/net10.0, found from the repository root.</summary>
    public static string CommandAssembly { get; } = FindCommandAssembly();

    public Task<ProcessResult> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(DotNet, [CommandAssembly, .. arguments], CommandDeadline, _environment);

    /// <summary>Runs the command with <paramref name="environment"/> added to (or replacing) this instance's variables.</summary>
    public Task<ProcessResult> RunWithAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var all = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in environment)
        {
            all[key] = value;
        }

        return ProcessRunner.RunAsync(DotNet, [CommandAssembly, .. arguments], CommandDeadline, all);
    }

    /// <summary>Runs the command in <paramref name="workingDirectory"/> (relative paths in its options are taken from there).</summary>
    public Task<ProcessResult> RunInAsync(string workingDirectory, params string[] arguments) =>
        ProcessRunner.RunAsync(DotNet, [CommandAssembly, .. arguments], CommandDeadline, _environment, workingDirectory);

    /// <summary>The pids in the node pid files right now.</summary>
    public IReadOnlyList<int> NodePids()
    {
        if (!Directory.Exists(NodesDirectory))
        {
            return [];
        }

        var pids = new List<int>();
        foreach (var file in Directory.EnumerateFiles(NodesDirectory, "node-*.json"))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(file));
                pids.Add(document.RootElement.GetProperty("Pid").GetInt32());
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // Being written or removed right now.
            }
        }

        return pids;
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            foreach (var pid in NodePids())
            {
                Kill(pid);
            }
        }
        finally
        {
            if (Directory.Exists(TempDirectory))
            {
                Directory.Delete(TempDirectory, recursive: true);
            }
        }
    }

    /// <summary>Kills a node a test started (by pid, never by name).</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private static string DotNet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string FindCommandAssembly()
    {
        var configuration = typeof(OrleansRayCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansRay.sln")))
            {
                var path = Path.Combine(dir.FullName, "Silo", "bin", configuration, "net10.0", "OrleansRay.Cli.dll");
                return File.Exists(path) ? path : throw new FileNotFoundException($"Build the Silo project first: {path} is missing.");
            }
        }

        throw new DirectoryNotFoundException($"No OrleansRay.sln above {AppContext.BaseDirectory}.");
    }
}
