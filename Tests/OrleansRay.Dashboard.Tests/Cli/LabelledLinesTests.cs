using OrleansRay.Silo.Cli;
using Spectre.Console;
using Xunit;

namespace OrleansRay.Dashboard.Tests.Cli;

/// <summary>The label/value lines under the CLI's summaries (start, up, job submit, job status, get actor): aligned,
/// no trailing spaces, and a long value kept on one line, as Spectre's grid did not.</summary>
public sealed class LabelledLinesTests
{
    [Fact]
    public void Labels_are_aligned_and_no_line_ends_in_a_space()
    {
        var output = Write(new LabelledLines().Add("Address", "127.0.0.1:6379 (clients)").Add("Logs", "/tmp/x.log").Add("Dashboard", "http://127.0.0.1:8265"));

        Assert.Equal(["Address    127.0.0.1:6379 (clients)", "Logs       /tmp/x.log", "Dashboard  http://127.0.0.1:8265"], output);
    }

    [Fact]
    public void A_value_longer_than_the_console_stays_on_one_line_as_it_is()
    {
        var command = "dotnet run --project " + new string('p', 300) + " -- --flag [not-markup]";

        var output = Write(new LabelledLines().Add("Command", command).Add("Cluster", "embedded"));

        Assert.Equal(["Command  " + command, "Cluster  embedded"], output);
    }

    [Fact]
    public void An_empty_value_leaves_the_label_alone_on_its_line()
    {
        var output = Write(new LabelledLines().Add("actor_id", "a1").Add("name", string.Empty));

        Assert.Equal(["actor_id  a1", "name"], output);
    }

    private static string[] Write(LabelledLines lines)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 160;
        lines.WriteTo(console);
        return writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
    }
}
