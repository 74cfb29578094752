namespace OrleansRay.Silo.Cli;

/// <summary>A failure the command reports as one line (never a stack trace) with its exit code.</summary>
internal sealed class CliException : Exception
{
    /// <summary>Exit code for bad input: an option's value is wrong.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code for a failure of the environment: port in use, database unreachable, node died.</summary>
    public const int FailureExitCode = 1;

    public CliException(string message, int exitCode = FailureExitCode, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }

    /// <summary>An option's value is wrong: the message names the option and what to do.</summary>
    public static CliException Usage(string message) => new(message, UsageExitCode);
}
