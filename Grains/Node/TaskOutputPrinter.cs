using System.Globalization;
using System.Text;

namespace OrleansRay.Node;

/// <summary>How a driver prints the output its tasks and actor calls wrote on a node (Ray's <c>log_to_driver</c>): each
/// line as <c>(NAME pid=PID, ip=ADDRESS) text</c>, standard error lines to its standard error.</summary>
internal static class TaskOutputPrinter
{
    /// <summary>Prints <paramref name="batch"/>: its lines in order (consecutive lines of one stream in one write), and,
    /// when the node dropped lines, a line saying how many on <paramref name="error"/>.</summary>
    public static void Print(TaskOutputBatch batch, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var origin = string.Create(CultureInfo.InvariantCulture, $" pid={batch.Pid}, ip={batch.Ip}) ");
        var text = new StringBuilder();
        var toError = false;
        foreach (var line in batch.Lines)
        {
            if (line.IsError != toError && text.Length > 0)
            {
                (toError ? error : output).Write(text.ToString());
                text.Clear();
            }

            toError = line.IsError;
            text.Append('(').Append(line.Name).Append(origin).AppendLine(line.Text);
        }

        if (text.Length > 0)
        {
            (toError ? error : output).Write(text.ToString());
        }

        if (batch.Dropped > 0)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[orleansray] {batch.Dropped} lines of task output were dropped: its tasks printed faster than the driver received them, beyond what a node holds for a driver (node pid={batch.Pid}, ip={batch.Ip})"));
        }

        output.Flush();
        error.Flush();
    }
}
