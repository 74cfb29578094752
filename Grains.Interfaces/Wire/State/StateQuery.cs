namespace OrleansRay;

/// <summary>The kinds of state the state API lists (Ray's <c>ray list</c> resources).</summary>
public enum StateResource
{
    /// <summary>Every node the cluster knows, alive or dead.</summary>
    Nodes = 0,

    /// <summary>The job table: every driver is a job.</summary>
    Jobs = 1,

    /// <summary>Actors, live and recently dead.</summary>
    Actors = 2,

    /// <summary>Tasks: pending and running ones, and each node's latest finished ones.</summary>
    Tasks = 3,

    /// <summary>Objects, by their owners' records.</summary>
    Objects = 4,

    /// <summary>Placement groups that hold bundles on some node.</summary>
    PlacementGroups = 5,
}

/// <summary>A filter's predicate (Ray's <c>=</c> and <c>!=</c>).</summary>
public enum StatePredicate
{
    /// <summary><c>key=value</c>: the column equals the value (case-insensitive).</summary>
    Equal = 0,

    /// <summary><c>key!=value</c>: the column differs from the value (case-insensitive).</summary>
    NotEqual = 1,
}

/// <summary>One filter of a state listing (Ray's <c>--filter "state=FAILED"</c>): a column, a predicate, a value.</summary>
/// <param name="Key">The column, in Ray's snake_case (<c>state</c>, <c>name</c>, <c>node_id</c>, ...); each resource's
/// columns are in the exception a bad key gets.</param>
/// <param name="Predicate">Equal or not equal.</param>
/// <param name="Value">The value compared with, case-insensitively.</param>
[GenerateSerializer, Immutable, Alias("orleansray.statefilter")]
public sealed record StateFilter(
    [property: Id(0)] string Key,
    [property: Id(1)] StatePredicate Predicate,
    [property: Id(2)] string Value)
{
    /// <summary>Reads Ray's filter text: <c>key=value</c> or <c>key!=value</c> (spaces around the parts are ignored).</summary>
    /// <exception cref="ArgumentException">The text has no <c>=</c>, or an empty key.</exception>
    public static StateFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0)
        {
            throw new ArgumentException($"Filter '{text}' is not key=value or key!=value, e.g. state=FAILED.", nameof(text));
        }

        var notEqual = text[at - 1] == '!';
        var key = text[..(notEqual ? at - 1 : at)].Trim();
        if (key.Length == 0)
        {
            throw new ArgumentException($"Filter '{text}' has no key; write key=value, e.g. state=FAILED.", nameof(text));
        }

        return new StateFilter(key, notEqual ? StatePredicate.NotEqual : StatePredicate.Equal, text[(at + 1)..].Trim());
    }

    /// <summary>Ray's text of the filter: <c>key=value</c> or <c>key!=value</c>.</summary>
    public override string ToString() => Predicate == StatePredicate.NotEqual ? $"{Key}!={Value}" : $"{Key}={Value}";
}

/// <summary>What a state listing asks one node for: the kind, the filters (applied on the node) and the most rows.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.statequery")]
public sealed record StateQuery
{
    /// <summary>Tasks, actors or objects (the kinds nodes hold).</summary>
    [Id(0)] public StateResource Resource { get; init; }

    /// <summary>All must hold.</summary>
    [Id(1)] public StateFilter[] Filters { get; init; } = Array.Empty<StateFilter>();

    /// <summary>The most rows the node sends.</summary>
    [Id(2)] public int Limit { get; init; } = 100;

    /// <summary>True: the node answers with summary groups (<see cref="NodeStateAnswer.Summary"/>) over everything it
    /// holds that passes the filters, instead of rows.</summary>
    [Id(3)] public bool Summarize { get; init; }
}

/// <summary>One node's answer to a <see cref="StateQuery"/>.</summary>
[GenerateSerializer, Immutable, Alias("orleansray.nodestateanswer")]
public sealed record NodeStateAnswer
{
    /// <summary>The answering runtime (a node, or a connected driver).</summary>
    [Id(0)] public string Node { get; init; } = string.Empty;

    [Id(1)] public TaskStateRow[] Tasks { get; init; } = Array.Empty<TaskStateRow>();

    [Id(2)] public ActorStateRow[] Actors { get; init; } = Array.Empty<ActorStateRow>();

    [Id(3)] public ObjectStateRow[] Objects { get; init; } = Array.Empty<ObjectStateRow>();

    /// <summary>Rows that passed the filters, before the limit.</summary>
    [Id(4)] public int Matched { get; init; }

    [Id(5)] public StateSummaryRow[] Summary { get; init; } = Array.Empty<StateSummaryRow>();
}
