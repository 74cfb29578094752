using OrleansRay.Silo.Cli;
using Xunit;

namespace OrleansRay.Cluster.Tests;

/// <summary>What a failed submitted job's message quotes from its log after the exit code (Ray quotes a failed job's
/// last logs): the driver's unhandled exception, else the first compiler or MSBuild error of a `dotnet run` that did not
/// build (a reviewer's job said only "exit code 1", the error was in `job logs` alone), else the log's last line.</summary>
public sealed class JobFailureLineTests : IDisposable
{
    private readonly string _log = Path.Combine(Path.GetTempPath(), $"orleansray-failure-line-{Guid.NewGuid():N}.log");

    public void Dispose() => File.Delete(_log);

    private string? FailureLine(params string[] lines)
    {
        File.WriteAllLines(_log, lines);
        return JobSupervisor.FailureLine(_log);
    }

    [Fact]
    public void A_crash_is_quoted_before_anything_else()
    {
        Assert.Equal(": Unhandled exception. System.InvalidOperationException: boom",
            FailureLine("working", "Program.cs(3,9): error CS0029: not this", "Unhandled exception. System.InvalidOperationException: boom", "   at Program.Main()"));
    }

    [Fact]
    public void A_build_that_failed_is_quoted_by_its_first_error()
    {
        Assert.Equal(": /job/Program.cs(2,9): error CS0029: Cannot implicitly convert type 'string' to 'int' [/job/broken.csproj]",
            FailureLine(
                "  Determining projects to restore...",
                "/job/Program.cs(2,9): error CS0029: Cannot implicitly convert type 'string' to 'int' [/job/broken.csproj]",
                "/job/Program.cs(3,1): error CS1002: ; expected [/job/broken.csproj]",
                "",
                "The build failed. Fix the build errors and run again."));
        Assert.Equal(": CSC : error CS5001: Program does not contain a static 'Main' method suitable for an entry point [/job/noentry.csproj]",
            FailureLine("CSC : error CS5001: Program does not contain a static 'Main' method suitable for an entry point [/job/noentry.csproj]", "The build failed. Fix the build errors and run again."));
        Assert.Equal(": MSBUILD : error MSB1009: Project file does not exist.", FailureLine("MSBUILD : error MSB1009: Project file does not exist."));
    }

    [Fact]
    public void Otherwise_the_last_line_of_the_log_is_quoted_and_an_empty_or_missing_log_adds_nothing()
    {
        Assert.Equal("; last line of its log: config file missing", FailureLine("starting", "config file missing", "", "  "));
        Assert.Equal("; last line of its log: 3 errors found, no error CS here", FailureLine("3 errors found, no error CS here"));
        Assert.Null(FailureLine());
        File.Delete(_log);
        Assert.Null(JobSupervisor.FailureLine(_log));
        Assert.EndsWith("…", FailureLine(new string('x', 1000)), StringComparison.Ordinal);
    }
}
