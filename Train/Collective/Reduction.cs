using System.Numerics;
using System.Numerics.Tensors;

namespace OrleansRay.Train.Collective;

/// <summary>The element-wise arithmetic of the reductions, with <see cref="TensorPrimitives"/> (SIMD at the widest
/// width the hardware has: 512-bit where AVX-512 is there, where <see cref="Vector{T}"/> stops at 256).</summary>
/// <remarks>Max and Min follow <see cref="TensorPrimitives.Max{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>: a NaN
/// in either operand gives NaN (as <see cref="Math.Max(float, float)"/>), in the vector body and the tail alike.</remarks>
internal static class Reduction
{
    /// <summary><paramref name="result"/>[i] = op(<paramref name="left"/>[i], <paramref name="right"/>[i]); Mean sums.
    /// <paramref name="result"/> may be <paramref name="left"/> or <paramref name="right"/> itself (the same start), not
    /// a span that only partly overlaps them.</summary>
    public static void Combine<T>(ReadOnlySpan<T> left, ReadOnlySpan<T> right, Span<T> result, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        if (left.Length != right.Length || result.Length != left.Length)
        {
            throw new InvalidOperationException($"Chunk lengths differ ({left.Length}, {right.Length}, {result.Length}).");
        }

        switch (op)
        {
            case ReduceOp.Max:
                TensorPrimitives.Max(left, right, result);
                break;
            case ReduceOp.Min:
                TensorPrimitives.Min(left, right, result);
                break;
            default:
                TensorPrimitives.Add(left, right, result);
                break;
        }
    }

    /// <summary>Divides every element by <paramref name="count"/> (the Mean's last step; a division, not a multiplication
    /// by the reciprocal, so the result is the correctly rounded quotient).</summary>
    public static void Divide<T>(Span<T> values, int count)
        where T : unmanaged, INumber<T> =>
        TensorPrimitives.Divide(values, T.CreateChecked(count), values);
}
