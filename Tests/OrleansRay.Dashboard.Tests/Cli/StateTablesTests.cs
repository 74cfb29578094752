using OrleansRay.Silo.Commands;
using Spectre.Console;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>The state CLI's tables (<c>list objects</c>, <c>memory</c>): ids stay whole on a narrow console, so they can be
/// copied into the next command.</summary>
public sealed class StateTablesTests
{
    [Fact]
    public void Object_and_owner_ids_are_not_split_over_lines_on_an_80_column_console()
    {
        var objectId = "7af9798df022adb70000000000000004";
        var owner = "00000000000000000000000000000001";
        var row = new ObjectStateRow(objectId, owner, "FINISHED", "LOCAL_REFERENCE", "PUT", 4096, "STORE", "127.0.0.1:30000@123456789", false, 1);

        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 80;
        StateTables.Objects(console, [row]);
        var text = writer.ToString();

        Assert.Contains(objectId, text, StringComparison.Ordinal);
        Assert.Contains(owner, text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_s_entrypoint_is_not_broken_over_lines_in_job_list()
    {
        const string Entrypoint = "dotnet /home/someone/src/app/bin/Release/net10.0/OrleansRay.Cluster.TestApp.dll squares 4";
        var row = new OrleansRay.Silo.Dashboard.DashboardApi.JobRow("job-1a2b3c4d", "SUCCEEDED", "driver-0123456789abcdef", "machine-1", 12345, Entrypoint, "default", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "Job finished successfully.", false);

        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 160;
        console.Write(JobListCommand.Table([row]));

        // Cut to its column's width with an ellipsis, on one line.
        Assert.Contains(Entrypoint[..59] + "…", writer.ToString(), StringComparison.Ordinal);
    }
}

