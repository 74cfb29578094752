using Spectre.Console;

namespace OrleansRay.Silo.Cli;

/// <summary>The console the commands write to: colors and rounded tables on a terminal, plain ASCII in logs and pipes.</summary>
internal static class ConsoleOutput
{
    public static IAnsiConsole Create()
    {
        var redirected = Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected)
        {
            // Spectre assumes 80 columns without a terminal and wraps longer lines mid-sentence; a file or pipe has no
            // width, and a line broken in two defeats grep (status's decisions and failures, tables' long cells).
            console.Profile.Width = UnwrappedWidth;
        }

        return console;
    }

    /// <summary>The width written to a file or pipe: wide enough that no line the commands write is wrapped.</summary>
    internal const int UnwrappedWidth = 4096;

    /// <summary>ASCII borders when the output is a file or pipe: box characters garble logs and plain terminals.</summary>
    public static TableBorder Border => Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded;
}
