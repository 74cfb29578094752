using System.CommandLine;
using System.Diagnostics;
using OrleansRay.Silo.Cli;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job supervise --job-id ID</c> (internal): the background process <c>job submit</c> starts
/// for each job (<see cref="JobSupervisor"/>).</summary>
internal sealed class JobSuperviseCommand : Command
{
    private readonly Option<string> _jobId = new("--job-id") { Required = true, Description = "The job whose file to run." };

    public JobSuperviseCommand()
        : base("supervise", "Run a submitted job and record how it ended (started by `job submit`).")
    {
        Hidden = true;
        Options.Add(_jobId);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var paths = CliPaths.Current;
        var jobFile = paths.JobFile(parse.GetValue(_jobId)!);
        var record = JobRecord.TryRead(jobFile) ?? throw new CliException($"no job file at {jobFile}.");
        using var self = Process.GetCurrentProcess();
        record = record with { SupervisorPid = Environment.ProcessId, SupervisorStart = self.StartTime.ToUniversalTime() };
        record.Write(jobFile);
        return await JobSupervisor.RunAsync(jobFile, record, cancellationToken).ConfigureAwait(false);
    }
}
