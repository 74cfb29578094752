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
            // Spectre assumes 80 columns without a terminal; node addresses and resource lists are wider.
            console.Profile.Width = 160;
        }

        return console;
    }

    /// <summary>ASCII borders when the output is a file or pipe: box characters garble logs and plain terminals.</summary>
    public static TableBorder Border => Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded;
}
