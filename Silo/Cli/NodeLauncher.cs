using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using OrleansRay.Silo.Hosting;

namespace OrleansRay.Silo.Cli;

/// <summary>Starts a node in the background: re-runs this executable as <c>start ... --block</c> in its own session,
/// output to the node's log file, and waits until the node's pid file says it is up.</summary>
internal static class NodeLauncher
{
    /// <summary>How long a node may take to come up. Silo start is ~1 s; a loaded 2-core machine or a remote database takes longer.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    public static async Task<NodeRecord> LaunchAsync(NodeSettings settings, IReadOnlyList<string> nodeArguments, CliPaths paths, CancellationToken cancellationToken)
    {
        var pidFile = paths.PidFile(settings.Port);
        Directory.CreateDirectory(paths.NodesDirectory);
        File.Delete(pidFile);

        using var process = Spawn(settings, nodeArguments, paths);
        var deadline = DateTime.UtcNow + StartDeadline;
        while (true)
        {
            if (NodeRecord.TryRead(pidFile) is { } record && record.Pid == process.Id)
            {
                return record;
            }

            if (process.HasExited)
            {
                throw new CliException(NodeFailure(settings.LogFile, process.ExitCode));
            }

            if (DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new CliException($"the node did not come up within {StartDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s and was stopped; see its log: {settings.LogFile}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts this executable with <paramref name="nodeArguments"/> (<c>start ... --block</c>) in its own session,
    /// its output appended to <see cref="NodeSettings.LogFile"/>, the storage connection string and the token by
    /// environment only; returns at once (the caller watches the pid file or the process).</summary>
    public static Process Spawn(NodeSettings settings, IReadOnlyList<string> nodeArguments, CliPaths paths)
    {
        var (program, prefix) = Self();
        return Spawn(program, [.. prefix, .. nodeArguments], settings.LogFile, settings.Storage, settings.Credentials?.Token, paths);
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> as <see cref="Spawn(NodeSettings, IReadOnlyList{string}, CliPaths)"/>
    /// does: its own session (setsid), stdin detached, output appended to <paramref name="logFile"/>, ORLEANSRAY_TEMP_DIR
    /// set to <paramref name="paths"/>' root, the storage and the token by environment (removed when null).</summary>
    public static Process Spawn(string program, IReadOnlyList<string> arguments, string logFile, string? storage, string? token, CliPaths paths)
    {
        // sh redirects the node's output to its log and detaches stdin before exec (same pid), so the node holds
        // none of our terminal or pipes; setsid puts it in its own session, out of reach of our terminal's Ctrl+C.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");
        start.ArgumentList.Add("orleansray-node");
        start.ArgumentList.Add(logFile);
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[CliPaths.TempDirVariable] = paths.Root;
        // What the node's output appends to, so it can rotate that file (NodeLogRotation).
        start.Environment[Hosting.NodeLogRotation.LogFileVariable] = logFile;
        // The connection string may hold a password: by environment (readable by this user only), not by argument
        // (every user's `ps` shows arguments). Without storage the node gets `--storage memory` and no variable.
        if (storage is not null)
        {
            start.Environment[NodeSettings.StorageVariable] = storage;
        }
        else
        {
            start.Environment.Remove(NodeSettings.StorageVariable);
        }

        // The token, like the connection string: by environment only.
        if (token is not null)
        {
            start.Environment[ObjectStore.Security.ClusterCredentials.TokenVariable] = token;
        }
        else
        {
            start.Environment.Remove(ObjectStore.Security.ClusterCredentials.TokenVariable);
        }

        // The launching process decided already: --insecure in the arguments, or the token above.
        start.Environment.Remove(OrleansRay.Hosting.ConnectedCluster.InsecureVariable);

        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        return Process.Start(start) ?? throw new CliException("could not start the node process.");
    }

    /// <summary>The last "error:" line of the node's log, else its exit code, and where the log is.</summary>
    internal static string NodeFailure(string logFile, int exitCode)
    {
        string? error = null;
        try
        {
            error = File.ReadLines(logFile).LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal))?["error: ".Length..];
        }
        catch (IOException)
        {
            // No log to quote: the exit code below is all there is.
        }

        return error is null
            ? $"the node exited with code {exitCode.ToString(CultureInfo.InvariantCulture)} while starting; see its log: {logFile}"
            : $"{error} (log: {logFile})";
    }

    /// <summary>How to run this executable again: the apphost itself, or <c>dotnet orleansray.dll</c>.</summary>
    internal static (string Program, string[] Prefix) Self()
    {
        var processPath = Environment.ProcessPath ?? throw new CliException("cannot tell which executable is running.");
        var entry = Assembly.GetEntryAssembly()?.Location;
        return string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.Ordinal) && !string.IsNullOrEmpty(entry)
            ? (processPath, [entry])
            : (processPath, []);
    }
}
