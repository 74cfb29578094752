using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OrleansRay.Silo.Cli;

/// <summary>The node processes this machine started, found through their pid files, and how to stop them.</summary>
internal static partial class NodeProcesses
{
    /// <summary>How long a node gets to leave the cluster cleanly after SIGTERM (a clean stop takes 1–2 s) before SIGKILL.</summary>
    public static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(15);

    private const int SigTerm = 15;

    /// <summary>The process behind a pid file, or null when it is gone (or the pid now belongs to another program).</summary>
    public static Process? TryGetProcess(NodeRecord record)
    {
        Process? process = null;
        try
        {
            process = Process.GetProcessById(record.Pid);
            // A pid can be reused after the node died: the start time tells the node from a stranger.
            if (!process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - record.ProcessStart).TotalSeconds) < 1)
            {
                return process;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone between the pid file and the look-up.
        }

        process?.Dispose();
        return null;
    }

    /// <summary>SIGTERM (the node leaves the cluster), then SIGKILL after <see cref="StopDeadline"/>.</summary>
    /// <returns>True when it stopped on SIGTERM, false when it had to be killed.</returns>
    public static async Task<bool> StopAsync(Process process, CancellationToken cancellationToken)
    {
        if (Kill(process.Id, SigTerm) != 0)
        {
            return true;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StopDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
