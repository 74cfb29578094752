using System.CommandLine;

namespace OrleansRay.Silo.Commands;

/// <summary><c>orleansray job</c>: drivers run as jobs (Ray's job submission): submit a command, list the job table,
/// print a job's log, stop a job.</summary>
internal sealed class JobCommand : Command
{
    public JobCommand()
        : base("job", "Run a driver program as a job of the cluster, list jobs, print a job's log, stop a job.")
    {
        Subcommands.Add(new JobSubmitCommand());
        Subcommands.Add(new JobListCommand());
        Subcommands.Add(new JobLogsCommand());
        Subcommands.Add(new JobStopCommand());
        Subcommands.Add(new JobSuperviseCommand());
    }

    /// <summary>The <c>--address</c> option of the job verbs.</summary>
    public static Option<string?> AddressOption() =>
        new("--address") { Description = "The cluster's client address HOST:PORT. Default: the address file of the cluster started on this machine." };

    /// <summary>The job id argument of <c>logs</c> and <c>stop</c>.</summary>
    public static Argument<string> JobIdArgument() =>
        new("job-id") { Description = "The job's id, as `job submit` printed it and `job list` shows it." };
}
