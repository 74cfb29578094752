using System.Globalization;

namespace OrleansRay.Cluster.TestApp;

/// <summary>Output for the node log's rotation tests: a task that fills its node's log.</summary>
public static class Printer
{
    /// <summary>The text after each line's token and number: 100 bytes a line in all, so a test knows the size written.</summary>
    public static readonly string Padding = new('x', 100 - " line 000000 ".Length - 8 - 1);

    /// <summary>Prints <paramref name="count"/> lines "TOKEN line NNNNNN xxx…" (100 bytes each with an 8-character
    /// token) to standard output, numbered from 0; returns <paramref name="count"/>.</summary>
    public static int PrintLines(int count, string token)
    {
        for (var i = 0; i < count; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{token} line {i:D6} {Padding}"));
        }

        return count;
    }
}
