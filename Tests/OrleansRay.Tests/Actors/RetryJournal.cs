using Orleans;
using OrleansRay.Tests.Functions;

namespace OrleansRay.Tests.Actors;

/// <summary>Records the order its calls ran in, for the actor task-retry tests: a call can hold the actor while it lives
/// on one node, so the calls after it queue there.</summary>
public sealed class RetryJournal
{
    /// <summary>How long a held call waits at most if the test never opens its gate: far past any test's deadline.</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(2);

    private readonly List<int> _indexes = new();

    /// <summary>Records <paramref name="index"/>; says where and as which call of this instance it ran.</summary>
    public RetryEntry Append(int index)
    {
        _indexes.Add(index);
        return new RetryEntry(index, _indexes.Count, RayContext.NodeId.Value, RayContext.AttemptNumber);
    }

    /// <summary>While the actor lives on <paramref name="holdOn"/>, tells the test it started and holds the actor until
    /// the gate opens; then (or elsewhere at once) records <paramref name="index"/>.</summary>
    public RetryEntry HoldOnThenAppend(int index, string holdOn, string gate)
    {
        if (string.Equals(RayContext.NodeId.Value, holdOn, StringComparison.Ordinal))
        {
            Gates.Get(gate + ".entered").Set();
            Gates.Get(gate).Wait(HoldLimit);
        }

        return Append(index);
    }

    /// <summary>The indexes this instance recorded, in the order it ran them.</summary>
    public int[] Indexes() => _indexes.ToArray();
}

/// <summary>One call recorded by a <see cref="RetryJournal"/>: its index, its position among the calls that instance
/// ran (1 for the first), and the node it ran on.</summary>
[GenerateSerializer]
public sealed record RetryEntry([property: Id(0)] int Index, [property: Id(1)] int Position, [property: Id(2)] string Node, [property: Id(3)] int Attempt);
