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

        var deadline = DateTime.UtcNow + MaxHold;
        while (!File.Exists(gate) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
    }
}
