using Spectre.Console;

namespace OrleansRay.Silo.Cli;

/// <summary>The label/value lines under a CLI summary ("Address    127.0.0.1:6379 (clients) ..."): labels padded to one
/// width and two spaces, then the value as it is.</summary>
/// <remarks>Written straight to the console's writer rather than as a Spectre grid, which pads every value to the
/// widest one (trailing spaces on each shorter line) and wraps a long value at the console's width (160 columns when
/// the output is a file or a pipe): a command line or a path copied from the output is then exactly the value. A
/// terminal wraps a long line itself.</remarks>
internal sealed class LabelledLines
{
    private readonly List<(string Label, string Value)> _rows = [];

    /// <summary>Adds a line; its value is plain text (no markup).</summary>
    public LabelledLines Add(string label, string value)
    {
        _rows.Add((label, value));
        return this;
    }

    /// <summary>Writes the lines to <paramref name="console"/>'s output.</summary>
    public void WriteTo(IAnsiConsole console)
    {
        var width = _rows.Count == 0 ? 0 : _rows.Max(r => r.Label.Length);
        var writer = console.Profile.Out.Writer;
        foreach (var (label, value) in _rows)
        {
            writer.WriteLine(value.Length == 0 ? label : label.PadRight(width + 2) + value);
        }

        writer.Flush();
    }
}
