namespace OrleansRay;

/// <summary>Levenshtein distance for "did you mean" hints: the CLI's unknown verbs and the bench's unknown row names.
/// One source file compiled into both (a linked file: neither references the other's assembly).</summary>
internal static class EditDistance
{
    /// <summary>Insertions, deletions and substitutions of one character each cost 1; letters compare ignoring case.</summary>
    public static int Between(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
