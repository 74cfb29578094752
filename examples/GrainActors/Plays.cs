namespace GrainActors;

/// <summary>A remote function that calls the scoreboard it is given.</summary>
public static class Plays
{
    /// <summary>Scores a word for a player: one point per letter.</summary>
    public static Task<int> Play(IScoreboard board, string player, string word) => board.AddPoints(player, word.Length);
}
