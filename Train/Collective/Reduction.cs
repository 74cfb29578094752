using System.Numerics;
using System.Runtime.InteropServices;

namespace OrleansRay.Train.Collective;

/// <summary>The element-wise arithmetic of the reductions (SIMD with <see cref="Vector{T}"/> where the hardware has it).</summary>
internal static class Reduction
{
    /// <summary><paramref name="into"/>[i] = op(<paramref name="into"/>[i], <paramref name="other"/>[i]); Mean sums.</summary>
    public static void Combine<T>(Span<T> into, ReadOnlySpan<T> other, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        if (into.Length != other.Length)
        {
            throw new InvalidOperationException($"Chunk lengths differ ({into.Length} and {other.Length}).");
        }

        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && into.Length >= Vector<T>.Count)
        {
            var target = MemoryMarshal.Cast<T, Vector<T>>(into);
            var source = MemoryMarshal.Cast<T, Vector<T>>(other);
            switch (op)
            {
                case ReduceOp.Sum or ReduceOp.Mean:
                    for (var v = 0; v < target.Length; v++)
                    {
                        target[v] += source[v];
                    }

                    break;
                case ReduceOp.Max:
                    for (var v = 0; v < target.Length; v++)
                    {
                        target[v] = Vector.Max(target[v], source[v]);
                    }

                    break;
                case ReduceOp.Min:
                    for (var v = 0; v < target.Length; v++)
                    {
                        target[v] = Vector.Min(target[v], source[v]);
                    }

                    break;
            }

            i = target.Length * Vector<T>.Count;
        }

        for (; i < into.Length; i++)
        {
            into[i] = op switch
            {
                ReduceOp.Max => T.Max(into[i], other[i]),
                ReduceOp.Min => T.Min(into[i], other[i]),
                _ => into[i] + other[i],
            };
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
