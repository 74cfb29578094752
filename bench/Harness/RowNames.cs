namespace OrleansRay.Bench.Harness;

/// <summary>Suggestions for a row name that matches none: "cpu bound" for "cpu-bound", a typo, a missing word's
/// punctuation.</summary>
internal static class RowNames
{
    /// <summary>At most three known names nearest to <paramref name="given"/>: those equal to it once case, spaces and
    /// punctuation are ignored, else those within an edit distance of a quarter of its length (at least 2) on that
    /// form, nearest first; empty when none is near.</summary>
    public static IReadOnlyList<string> Nearest(string given, IEnumerable<string> known)
    {
        var target = Normalize(given);
        var scored = known
            .Select(name => (Name: name, Distance: Distance(target, Normalize(name))))
            .ToList();
        var limit = Math.Max(2, target.Length / 4);
        return scored
            .Where(s => s.Distance <= limit)
            .OrderBy(s => s.Distance).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Take(3)
            .Select(s => s.Name)
            .ToList();
    }

    private static string Normalize(string name) =>
        new(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    /// <summary>Levenshtein distance (insertions, deletions and substitutions of one character each cost 1).</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
