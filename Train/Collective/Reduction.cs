using System.Numerics;
using System.Runtime.InteropServices;

namespace OrleansRay.Train.Collective;

/// <summary>The element-wise arithmetic of the reductions (SIMD with <see cref="Vector{T}"/> where the hardware has it).</summary>
internal static class Reduction
{
    /// <summary><paramref name="result"/>[i] = op(<paramref name="left"/>[i], <paramref name="right"/>[i]); Mean sums.</summary>
    public static void Combine<T>(ReadOnlySpan<T> left, ReadOnlySpan<T> right, Span<T> result, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        if (left.Length != right.Length || result.Length != left.Length)
        {
            throw new InvalidOperationException($"Chunk lengths differ ({left.Length}, {right.Length}, {result.Length}).");
        }

        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && left.Length >= Vector<T>.Count)
        {
            var a = MemoryMarshal.Cast<T, Vector<T>>(left);
            var b = MemoryMarshal.Cast<T, Vector<T>>(right);
            var into = MemoryMarshal.Cast<T, Vector<T>>(result);
            switch (op)
            {
                case ReduceOp.Max:
                    for (var v = 0; v < into.Length; v++)
                    {
                        into[v] = Vector.Max(a[v], b[v]);
                    }

                    break;
                case ReduceOp.Min:
                    for (var v = 0; v < into.Length; v++)
                    {
                        into[v] = Vector.Min(a[v], b[v]);
                    }

                    break;
                default:
                    for (var v = 0; v < into.Length; v++)
                    {
                        into[v] = a[v] + b[v];
                    }

                    break;
            }

            i = into.Length * Vector<T>.Count;
        }

        for (; i < result.Length; i++)
        {
            result[i] = op switch
            {
                ReduceOp.Max => T.Max(left[i], right[i]),
                ReduceOp.Min => T.Min(left[i], right[i]),
                _ => left[i] + right[i],
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
