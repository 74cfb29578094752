namespace OrleansRay.Train;

/// <summary>A dataset of rows of <typeparamref name="T"/>; made by <see cref="TrainDataset.From{T}"/>.</summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class TrainDataset<T> : TrainDataset
{
    private readonly T[] _rows;

    internal TrainDataset(T[] rows) => _rows = rows;

    /// <inheritdoc />
    public override int Count => _rows.Length;

    /// <inheritdoc />
    public override Type RowType => typeof(T);

    /// <summary>Rows <c>rank, rank + worldSize, ...</c>: worker <paramref name="rank"/>'s shard.</summary>
    internal static T[] Shard(IReadOnlyList<T> rows, int rank, int worldSize)
    {
        var shard = new T[(rows.Count - rank + worldSize - 1) / worldSize];
        for (int i = rank, j = 0; i < rows.Count; i += worldSize, j++)
        {
            shard[j] = rows[i];
        }

        return shard;
    }

    /// <inheritdoc />
    internal override async Task<ObjectRef> PutShardAsync(IRay ray, int rank, int worldSize) =>
        await ray.PutAsync(Shard(_rows, rank, worldSize)).ConfigureAwait(false);
}
