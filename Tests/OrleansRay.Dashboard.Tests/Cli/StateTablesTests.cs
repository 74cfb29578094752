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
}
