using System.CommandLine;
using OrleansRay.Hosting;
using OrleansRay.Silo.Cli;

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
        Subcommands.Add(new JobStatusCommand());
        Subcommands.Add(new JobLogsCommand());
        Subcommands.Add(new JobStopCommand());
        Subcommands.Add(new JobSuperviseCommand());
    }

    /// <summary>The <c>--address</c> option of the job verbs.</summary>
    public static Option<string?> AddressOption() =>
        new("--address")
        {
            Description = "The head's job API, http://HEAD:8265 (its dashboard URL: works from any machine), or the cluster's client address HOST:PORT. Default: $ORLEANSRAY_ADDRESS when it is an http:// URL, else the address file of the cluster started on this machine.",
        };

    /// <summary>The head's job API URL when the job verbs talk HTTP: <c>--address</c> when it is an http(s) URL, else
    /// (no <c>--address</c>) <c>$ORLEANSRAY_ADDRESS</c> when that is one; null for the gateway (HOST:PORT) and the
    /// local session, as before the job API.</summary>
    /// <exception cref="CliException">An http address that is not a valid URL (exit code 2).</exception>
    public static Uri? HttpAddress(string? given)
    {
        var candidate = given ?? (Environment.GetEnvironmentVariable(ConnectedCluster.AddressVariable) is { } env && IsHttp(env) ? env : null);
        if (candidate is null || !IsHttp(candidate))
        {
            return null;
        }

        if (!Uri.TryCreate(candidate.EndsWith('/') ? candidate : candidate + "/", UriKind.Absolute, out var url) || url.Host.Length == 0)
        {
            throw CliException.Usage($"--address {candidate}: not a valid URL; give the head's dashboard URL, e.g. http://10.0.0.5:8265.");
        }

        return url;

        static bool IsHttp(string value) =>
            value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The job id argument of <c>logs</c> and <c>stop</c>.</summary>
    public static Argument<string> JobIdArgument() =>
        new("job-id") { Description = "The job's id, as `job submit` printed it and `job list` shows it." };
}
