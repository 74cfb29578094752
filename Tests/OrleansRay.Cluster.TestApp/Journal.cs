namespace OrleansRay.Cluster.TestApp;

/// <summary>An actor that records the order its calls ran in, for the actor task-retry tests: a call can hold the actor
/// while it lives on one node, so the calls after it queue there until that node is killed.</summary>
public sealed class Journal
{
    /// <summary>How long a held call waits at most: far past any test's deadline, so a test that fails before killing
    /// the node leaves no thread blocked for good (killing the actor, as the driver's end does, also releases it).</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(3);

    private readonly List<int> _indexes = new();

    /// <summary>Records <paramref name="index"/>; says where and as which call of this instance it ran.</summary>
    public JournalEntry Append(int index)
    {
        _indexes.Add(index);
        return new JournalEntry(index, _indexes.Count, RayContext.NodeId.Value);
    }

    /// <summary>Holds the actor while it lives on <paramref name="holdOn"/> (until that node dies, the actor is killed or
    /// <see cref="HoldLimit"/> passes), then records <paramref name="index"/>; elsewhere records it at once.</summary>
    public JournalEntry HoldOnThenAppend(int index, string holdOn)
    {
        if (string.Equals(RayContext.NodeId.Value, holdOn, StringComparison.Ordinal))
        {
            RayContext.CancellationToken.WaitHandle.WaitOne(HoldLimit);
        }

        return Append(index);
    }

    /// <summary>The indexes this instance recorded, in the order it ran them.</summary>
    public int[] Indexes() => _indexes.ToArray();
}

/// <summary>One call recorded by a <see cref="Journal"/>: its index, its position among the calls that instance ran
/// (1 for the first), and the node it ran on.</summary>
[GenerateSerializer, Alias("orleansray.testapp.journalentry")]
public sealed record JournalEntry([property: Id(0)] int Index, [property: Id(1)] int Position, [property: Id(2)] string Node);

/// <summary>Journal's methods as remote actor methods (see <see cref="CounterCalls"/> for why).</summary>
public static class JournalCalls
{
    public static JournalEntry Append(Journal journal, int index)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return journal.Append(index);
    }

    public static JournalEntry HoldOnThenAppend(Journal journal, int index, string holdOn)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return journal.HoldOnThenAppend(index, holdOn);
    }

    public static int[] Indexes(Journal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return journal.Indexes();
    }
}
