namespace OrleansRay.Train;

/// <summary>A dataset handed to a trainer, split into one disjoint shard per worker (Ray Train's <c>datasets</c>, each
/// worker reading its part with <c>get_dataset_shard</c>).</summary>
/// <remarks>Rows are split by position: worker <c>r</c> of <c>n</c> gets rows <c>r, r + n, r + 2n, ...</c>, so shards
/// are disjoint, together hold every row, and differ in size by at most one. Each shard goes to the object store once per
/// run and is read by its worker (through the store, not through the coordinator).</remarks>
public abstract class TrainDataset
{
    private protected TrainDataset()
    {
    }

    /// <summary>The number of rows.</summary>
    public abstract int Count { get; }

    /// <summary>The element type of the rows.</summary>
    public abstract Type RowType { get; }

    /// <summary>A dataset of <paramref name="rows"/> (copied now, so later changes to the list do not reach the run).</summary>
    /// <typeparam name="T">A row: any type OrleansRay can serialize (primitives, arrays, records marked
    /// <c>[GenerateSerializer]</c>, ...).</typeparam>
    public static TrainDataset From<T>(IEnumerable<T> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new TrainDataset<T>(rows.ToArray());
    }

    /// <summary>Puts worker <paramref name="rank"/>'s shard into the object store.</summary>
    internal abstract Task<ObjectRef> PutShardAsync(IRay ray, int rank, int worldSize);
}
