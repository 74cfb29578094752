namespace ActorPoolExample;

/// <summary>A stand-in for a model that is costly to load: built once per actor, then reused for every review it
/// scores. Stateful: it counts what it scored.</summary>
public sealed class SentimentModel
{
    private readonly Dictionary<string, double> _weights;
    private int _scored;

    public SentimentModel(string name)
    {
        Name = name;
        _weights = Lexicon.Load();
    }

    public string Name { get; }

    /// <summary>The review's sentiment: positive above 0, negative below.</summary>
    public double Score(string review)
    {
        _scored++;
        return Lexicon.Score(_weights, review);
    }

    /// <summary>This model's name and how many reviews it scored.</summary>
    public (string Name, int Scored) Usage() => (Name, _scored);
}
