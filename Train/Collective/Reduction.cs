using System.Numerics;

namespace OrleansRay.Train.Collective;

/// <summary>The element-wise arithmetic of the reductions.</summary>
internal static class Reduction
{
    /// <summary><paramref name="into"/>[i] = op(<paramref name="into"/>[i], <paramref name="other"/>[i]); Mean sums.</summary>
    public static void Combine<T>(Span<T> into, ReadOnlySpan<T> other, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case ReduceOp.Sum or ReduceOp.Mean:
                for (var i = 0; i < into.Length; i++)
                {
                    into[i] += other[i];
                }

                break;
            case ReduceOp.Max:
                for (var i = 0; i < into.Length; i++)
                {
                    into[i] = T.Max(into[i], other[i]);
                }

                break;
            case ReduceOp.Min:
                for (var i = 0; i < into.Length; i++)
                {
                    into[i] = T.Min(into[i], other[i]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "op must be Sum, Mean, Max or Min.");
        }
    }

    /// <summary>Divides every element by <paramref name="count"/> (the Mean's last step).</summary>
    public static void Divide<T>(Span<T> values, int count)
        where T : unmanaged, INumber<T>
    {
        var divisor = T.CreateChecked(count);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] /= divisor;
        }
    }
}
