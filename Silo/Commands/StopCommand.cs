using System.CommandLine;
using System.Globalization;
using OrleansRay.Silo.Cli;
using Spectre.Console;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray stop</c>: stops every node this machine started (SIGTERM, SIGKILL after a deadline) and
/// removes their pid files and the address file. Safe to run twice.</summary>
internal sealed class StopCommand : Command
{
    public StopCommand()
        : base("stop", "Stop every OrleansRay node started on this machine and remove their pid and address files.")
    {
        SetAction(RunAsync);
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var console = ConsoleOutput.Create();
        var stopped = 0;
        // Workers first, the head last: workers leave a cluster whose primary is still there to see them go.
        var records = paths.PidFiles().Select(f => (File: f, Record: NodeRecord.TryRead(f))).OrderBy(r => r.Record?.IsHead == true).ToList();
        foreach (var (file, record) in records)
        {
            if (record is null)
            {
                continue;
            }

            using var process = NodeProcesses.TryGetProcess(record);
            var role = record.IsHead ? "head" : "worker";
            if (process is null)
            {
                console.MarkupLine(Markup.Escape($"Removed the pid file of {role} node {record.Address} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}): it was not running."));
            }
            else
            {
                var clean = await NodeProcesses.StopAsync(process, cancellationToken).ConfigureAwait(false);
                stopped++;
                console.MarkupLine(Markup.Escape($"Stopped {role} node {record.Address} (pid {record.Pid.ToString(CultureInfo.InvariantCulture)}){(clean ? string.Empty : " with SIGKILL after " + NodeProcesses.StopDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s")}."));
            }

            File.Delete(file);
        }

        if (File.Exists(paths.AddressFile))
        {
            File.Delete(paths.AddressFile);
        }

        if (stopped == 0)
        {
            console.MarkupLine("No OrleansRay node is running on this machine.");
        }

        return 0;
    }
}
