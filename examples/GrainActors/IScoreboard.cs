using OrleansRay;

namespace GrainActors;

/// <summary>A scoreboard: an actor contract written as an Orleans grain interface.</summary>
[Alias("GrainActors.IScoreboard")]
public interface IScoreboard : IActor
{
    /// <summary>Adds <paramref name="points"/> to <paramref name="player"/>'s score; returns the new score.</summary>
    [Alias("AddPoints")]
    Task<int> AddPoints(string player, int points);

    /// <summary>The player with the highest score, and that score.</summary>
    [Alias("Leader")]
    Task<string> Leader();
}
