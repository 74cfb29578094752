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
            .Select(name => (Name: name, Distance: EditDistance.Between(target, Normalize(name))))
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
}
