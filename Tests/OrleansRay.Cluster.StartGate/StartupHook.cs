using System.Diagnostics.CodeAnalysis;

/// <summary>A .NET startup hook (<c>DOTNET_STARTUP_HOOKS</c>) that holds a worker node's start until a gate file exists,
/// so a test can see the autoscaler's launch in Pending however slow its status calls are on a loaded machine.</summary>
/// <remarks>Does nothing unless <c>ORLEANSRAY_TEST_WORKER_GATE</c> names the gate file and the process is a worker's
/// <c>orleansray start --address ...</c> (the head, status and down pass through). Waits at most 45 s, well inside the
/// local provider's 60 s start deadline, so a test that never opens the gate cannot hang a worker. The hook type must
/// be named <c>StartupHook</c> and sit outside any namespace: that is how the runtime finds it.</remarks>
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The runtime looks the startup hook up by this exact name.")]
public static class StartupHook
{
    /// <summary>The environment variable naming the gate file.</summary>
    public const string GateVariable = "ORLEANSRAY_TEST_WORKER_GATE";

    private static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(45);

    /// <summary>Called by the runtime before Main.</summary>
    public static void Initialize()
    {
        var gate = Environment.GetEnvironmentVariable(GateVariable);
        var arguments = Environment.GetCommandLineArgs();
        if (string.IsNullOrEmpty(gate) || !arguments.Contains("start") || !arguments.Contains("--address"))
        {
            return;
        }

        // Watch first, then look: a gate written between the two is seen by the look, one written after by the watcher.
        using var opened = new ManualResetEventSlim();
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(Path.GetFullPath(gate))!, Path.GetFileName(gate));
        watcher.Created += (_, _) => opened.Set();
        watcher.EnableRaisingEvents = true;
        if (!File.Exists(gate))
        {
            opened.Wait(MaxHold);
        }
    }
}
