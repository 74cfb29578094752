namespace OrleansRay.Silo.Autoscaling;

/// <summary>A cluster config file that cannot be used: <see cref="Exception.Message"/> reads
/// "FILE:LINE: FIELD: what is wrong; what to do", or "FILE: what is wrong; what to do" for the file as a whole (one that
/// cannot be read).</summary>
internal sealed class ClusterConfigException : Exception
{
    /// <summary>A problem at <paramref name="line"/> (1-based; 0 for none, the file as a whole) of
    /// <paramref name="filePath"/> with <paramref name="field"/> (a dotted path, e.g.
    /// available_node_types.worker.min_workers; empty for the whole file).</summary>
    public ClusterConfigException(string filePath, long line, string field, string problem, Exception? inner = null)
        : base($"{filePath}{(line > 0 ? ":" + line.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}: {(field.Length == 0 ? string.Empty : field + ": ")}{problem}", inner)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
    }

    /// <summary>The config file.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line the problem is at; 0 when it is not at a line (the file cannot be read).</summary>
    public long Line { get; }

    /// <summary>The field, as a dotted path from the file's top (empty: the whole file).</summary>
    public string Field { get; }
}
