namespace OrleansRay.Silo.Autoscaling;

/// <summary>Where a <see cref="CapacityBin"/>'s capacity comes from.</summary>
internal enum BinKind
{
    /// <summary>A live node: its available resources now.</summary>
    Alive,

    /// <summary>A node the provider is starting: its type's resources, all free.</summary>
    Launching,

    /// <summary>A node this plan launches: its type's resources, all free.</summary>
    New,
}

/// <summary>One node's capacity during a plan, seen twice: what is free now (demands are packed onto it) and its total
/// (Ray's request_resources bundles are packed onto that: they ask for capacity, not for free capacity).</summary>
internal sealed class CapacityBin
{
    private readonly Dictionary<string, double> _free;
    private readonly Dictionary<string, double> _freeTotal;

    public CapacityBin(string label, string? nodeType, BinKind kind, ResourceSet total, ResourceSet available, ClusterNode? node)
    {
        Label = label;
        NodeType = nodeType;
        Kind = kind;
        Node = node;
        _free = available.ToDictionary();
        _freeTotal = total.ToDictionary();
    }

    /// <summary>The node id, provider id, or "new WORKER-TYPE #n".</summary>
    public string Label { get; }

    /// <summary>The node type; null for a node the autoscaler did not launch.</summary>
    public string? NodeType { get; }

    public BinKind Kind { get; }

    /// <summary>The live node (null unless <see cref="Kind"/> is <see cref="BinKind.Alive"/>).</summary>
    public ClusterNode? Node { get; }

    /// <summary>Some pending demand was packed onto it in this plan: the node is about to be used.</summary>
    public bool UsedByDemand { get; private set; }

    /// <summary>Some request_resources bundle counts on its capacity.</summary>
    public bool NeededByRequest { get; private set; }

    /// <summary>For a new node: what it is launched for (description → count), in the order first seen.</summary>
    public List<KeyValuePair<string, int>> LaunchedFor { get; } = [];

    /// <summary>Takes <paramref name="shape"/> from the free capacity when it fits.</summary>
    public bool TryTake(ResourceSet shape, string description)
    {
        if (!Fits(_free, shape))
        {
            return false;
        }

        Take(_free, shape);
        UsedByDemand = true;
        Note(description);
        return true;
    }

    /// <summary>Takes <paramref name="shape"/> from the total capacity when it fits (request_resources).</summary>
    public bool TryTakeTotal(ResourceSet shape, string description)
    {
        if (!Fits(_freeTotal, shape))
        {
            return false;
        }

        Take(_freeTotal, shape);
        NeededByRequest = true;
        Note(description);
        return true;
    }

    /// <summary>Records that a new node is launched for <paramref name="description"/> (min_workers).</summary>
    public void Note(string description)
    {
        if (Kind != BinKind.New)
        {
            return;
        }

        var i = LaunchedFor.FindIndex(e => e.Key == description);
        if (i < 0)
        {
            LaunchedFor.Add(new KeyValuePair<string, int>(description, 1));
        }
        else
        {
            LaunchedFor[i] = new KeyValuePair<string, int>(description, LaunchedFor[i].Value + 1);
        }
    }

    private static bool Fits(Dictionary<string, double> free, ResourceSet shape) =>
        shape.Items.All(item => free.GetValueOrDefault(item.Key) + ResourceSet.Epsilon >= item.Value);

    private static void Take(Dictionary<string, double> free, ResourceSet shape)
    {
        foreach (var (name, amount) in shape.Items)
        {
            free[name] = free.GetValueOrDefault(name) - amount;
        }
    }
}
