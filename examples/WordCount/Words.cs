using OrleansRay;

namespace WordCount;

/// <summary>Counts of words, and where they were counted: this program's own type, serialized by its job's code.</summary>
[GenerateSerializer]
public sealed record WordCounts
{
    [Id(0)] public Dictionary<string, int> Counts { get; init; } = new(StringComparer.Ordinal);

    [Id(1)] public int MinLength { get; init; }

    [Id(2)] public HashSet<string> Nodes { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>The remote function.</summary>
public static class Words
{
    /// <summary>Counts the words of <paramref name="text"/> at least WORDCOUNT_MIN_LENGTH letters long (the job's
    /// environment variable).</summary>
    public static WordCounts Count(string text)
    {
        var minLength = int.Parse(RayContext.GetEnvironmentVariable("WORDCOUNT_MIN_LENGTH") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var counts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length >= minLength)
            .GroupBy(w => w, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new WordCounts { Counts = counts, MinLength = minLength, Nodes = [RayContext.NodeId.ToString()] };
    }
}

/// <summary>The actor: adds counts up.</summary>
public sealed class WordTally
{
    private readonly WordCounts _total = new();
    private int _minLength;

    public int Add(WordCounts counts)
    {
        foreach (var (word, count) in counts.Counts)
        {
            _total.Counts[word] = _total.Counts.GetValueOrDefault(word) + count;
        }

        _total.Nodes.UnionWith(counts.Nodes);
        _minLength = counts.MinLength;
        return _total.Counts.Count;
    }

    public WordCounts Total() => _total with { MinLength = _minLength };
}
