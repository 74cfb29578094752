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
    public static Process? TryGetProcess(NodeRecord record) => TryGetProcess(record.Pid, record.ProcessStart);

    /// <summary>Whether the node behind a pid file still runs (its pid is still the process that started then).</summary>
    public static bool IsRunning(NodeRecord record)
    {
        using var process = TryGetProcess(record);
        return process is not null;
    }

    /// <summary>The process <paramref name="pid"/> if it still is the one that started at <paramref name="startedAt"/>
    /// (UTC), else null.</summary>
    public static Process? TryGetProcess(int pid, DateTime startedAt)
    {
        if (pid <= 0)
        {
            return null;
        }

        Process? process = null;
        try
        {
            process = Process.GetProcessById(pid);
            // A pid can be reused after the process died: the start time tells it from a stranger.
            if (!process.HasExited && !IsZombie(pid) && Math.Abs((process.StartTime.ToUniversalTime() - startedAt).TotalSeconds) < 1)
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

    /// <summary>True when <paramref name="pid"/> has exited but is not reaped yet: .NET still counts it as running. A
    /// killed node's process stays so until whoever adopted it (init, or a container's first process) reaps it, which some
    /// never do. The store's sweeps read <c>/proc</c> the same way (<see cref="OrleansRay.ObjectStore.OwnerProcess"/>).</summary>
    internal static bool IsZombie(int pid) => OrleansRay.ObjectStore.OwnerProcess.IsZombie(pid);

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
            await WaitForEndAsync(process, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await WaitForEndAsync(process, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>How often <see cref="WaitForEndAsync"/> looks whether the process became a zombie.</summary>
    private static readonly TimeSpan ZombieLook = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until <paramref name="process"/> has exited, a zombie counting as exited: .NET waits for a process
    /// that is not its child until it is reaped, which under a first process that never reaps is never.</summary>
    private static async Task WaitForEndAsync(Process process, CancellationToken cancellationToken)
    {
        var exited = process.WaitForExitAsync(cancellationToken);
        while (!exited.IsCompleted && !IsZombie(process.Id))
        {
            await Task.WhenAny(exited, Task.Delay(ZombieLook, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (exited.IsCompleted)
        {
            await exited.ConfigureAwait(false);
        }
    }

    /// <summary>Stops a job: SIGTERM to its process group (the job's process and whatever it started, e.g. `dotnet run`
    /// and the app), SIGKILL to the group after <paramref name="deadline"/> or once the leader is gone (stragglers).</summary>
    /// <returns>True when the leader exited on SIGTERM.</returns>
    public static async Task<bool> StopGroupAsync(Process leader, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var group = leader.Id;
        Kill(-group, SigTerm);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(deadline);
        var clean = true;
        try
        {
            await leader.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            clean = false;
        }

        Kill(-group, SigKill);
        if (!clean)
        {
            await leader.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }

        return clean;
    }

    /// <summary>Stops what a job left running in its process group after its own process exited (a background
    /// <c>&amp;</c> command, or the build servers of a <c>dotnet run</c>): SIGTERM to the group, SIGKILL to whatever is
    /// still in it after <paramref name="deadline"/>. Ray's job supervisor likewise leaves nothing of a finished job.</summary>
    /// <param name="group">The group's id: the job's pid (its command was started in a session of its own).</param>
    /// <param name="deadline">How long the stragglers get to end on SIGTERM.</param>
    /// <returns>How the group ended: nothing was left, all left ended on SIGTERM, or some had to be killed.</returns>
    public static async Task<LeftoverStop> StopLeftoversAsync(int group, TimeSpan deadline)
    {
        if (group <= 0 || Kill(-group, SigTerm) != 0)
        {
            // ESRCH: no process has that group id any more.
            return LeftoverStop.NoneLeft;
        }

        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
            if (Kill(-group, 0) != 0)
            {
                return LeftoverStop.EndedOnSigTerm;
            }
        }

        Kill(-group, SigKill);
        return LeftoverStop.Killed;
    }

    /// <summary>SIGKILL to one process (a job's supervisor: it holds nothing that needs a clean stop).</summary>
    public static void KillNow(int pid) => Kill(pid, SigKill);

    private const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>How <see cref="NodeProcesses.StopLeftoversAsync"/> found and left a finished job's process group.</summary>
internal enum LeftoverStop
{
    /// <summary>The job's process left nothing running.</summary>
    NoneLeft,

    /// <summary>Processes were left and ended on SIGTERM.</summary>
    EndedOnSigTerm,

    /// <summary>Processes were left and some had to get SIGKILL.</summary>
    Killed,
}
