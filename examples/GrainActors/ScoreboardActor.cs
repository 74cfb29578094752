using OrleansRay;

namespace GrainActors;

/// <summary>The scoreboard's implementation: an OrleansRay actor (a grain) holding the scores in memory.</summary>
/// <remarks>Calls run one at a time, so the dictionary needs no lock.</remarks>
public sealed class ScoreboardActor : ActorGrain, IScoreboard
{
    private readonly Dictionary<string, int> _scores = new(StringComparer.Ordinal);

    public Task<int> AddPoints(string player, int points)
    {
        _scores[player] = _scores.GetValueOrDefault(player) + points;
        return Task.FromResult(_scores[player]);
    }

    public Task<string> Leader()
    {
        if (_scores.Count == 0)
        {
            return Task.FromResult("nobody yet");
        }

        var (player, score) = _scores.MaxBy(s => s.Value);
        return Task.FromResult($"{player} with {score}");
    }
}
