using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansRay.Cluster.Tests.Fixtures;

/// <summary>The output of <c>orleansray status</c>, read back: counts, node rows, usage lines.</summary>
public sealed partial record ClusterStatus(int Active, int Dead, IReadOnlyList<ClusterStatus.Row> Rows, IReadOnlyList<string> Usage, string Text)
{
    /// <summary>One line of the node table: the node id ("127.0.0.1:port@generation"), the node's address as `list nodes`
    /// names it ("(head)" after the head's), and its state (ALIVE, DEAD, ...).</summary>
    public sealed record Row(string NodeId, string Address, string State, string Resources)
    {
        public bool IsAlive => State.StartsWith("ALIVE", StringComparison.Ordinal);
    }

    public static ClusterStatus Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var counts = Counts().Match(output);
        var rows = new List<Row>();
        var usage = new List<string>();
        var inUsage = false;
        string[]? header = null;
        foreach (var line in output.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            // The table is ASCII when the output is redirected: "| Node | Address | State | Resources | Last report |";
            // the cells are found by the header's names.
            if (line.StartsWith("| ", StringComparison.Ordinal))
            {
                var cells = line.Split('|', StringSplitOptions.TrimEntries);
                if (cells.Length >= 2 && cells[1] == "Node")
                {
                    header = cells;
                }
                else if (header is not null && cells.Length == header.Length && cells[1].Contains('@', StringComparison.Ordinal))
                {
                    string Cell(string name) => Array.IndexOf(header, name) is var i and > 0 ? cells[i] : string.Empty;
                    rows.Add(new Row(cells[1], Cell("Address"), Cell("State"), Cell("Resources")));
                }
            }
            else if (line == "Usage:")
            {
                inUsage = true;
            }
            else if (inUsage && line.StartsWith(' '))
            {
                usage.Add(line.Trim());
            }
            else if (inUsage)
            {
                inUsage = false;
            }
        }

        return new ClusterStatus(
            counts.Success ? int.Parse(counts.Groups["active"].Value, CultureInfo.InvariantCulture) : -1,
            counts.Success ? int.Parse(counts.Groups["dead"].Value, CultureInfo.InvariantCulture) : -1,
            rows,
            usage,
            output);
    }

    /// <summary>The row of a node, by the node id prefix "127.0.0.1:nodePort@" (the generation changes per start).</summary>
    public Row? Of(ClusterNode node) => Rows.FirstOrDefault(r => node.Owns(r.NodeId));

    [GeneratedRegex(@"Active: (?<active>\d+) node\(s\)\s+Dead: (?<dead>\d+) node\(s\)")]
    private static partial Regex Counts();
}
