namespace ActorPoolExample;

/// <summary>A tiny sentiment lexicon: word weights, summed over a review's words.</summary>
public static class Lexicon
{
    public static Dictionary<string, double> Load() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["great"] = 2, ["good"] = 1, ["love"] = 2, ["fast"] = 1, ["works"] = 1,
        ["bad"] = -1, ["broken"] = -2, ["slow"] = -1, ["refund"] = -2, ["never"] = -1,
    };

    public static double Score(Dictionary<string, double> weights, string review) =>
        review.Split([' ', ',', '.', '!'], StringSplitOptions.RemoveEmptyEntries).Sum(word => weights.GetValueOrDefault(word));
}
