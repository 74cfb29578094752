using System.Buffers;
using System.Numerics.Tensors;

namespace OrleansRay.Train.Collective;

/// <summary>The elements of a dense <see cref="Tensor{T}"/> as a <see cref="Memory{T}"/>, without a copy: the ring
/// allreduce works on <see cref="Memory{T}"/> (its lanes and chunks are slices of it, kept across awaits), and a tensor
/// exposes its contiguous elements only as a <see cref="Span{T}"/>. Each <see cref="GetSpan"/> asks the tensor again,
/// so the memory stays valid however long the allreduce runs and the GC may move the tensor's array meanwhile.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class DenseTensorMemory<T> : MemoryManager<T>
{
    private readonly Tensor<T> _tensor;
    private readonly nint[] _origin;
    private readonly int _length;

    private DenseTensorMemory(Tensor<T> tensor, int length)
    {
        _tensor = tensor;
        _origin = new nint[tensor.Rank];
        _length = length;
    }

    /// <summary>The tensor's elements in row-major order (the tensor's own memory) and the shape every rank must share.</summary>
    /// <exception cref="ArgumentException">The tensor is not dense (a slice of columns, a transposed or broadcast view:
    /// its elements are not one contiguous row-major run); the message says how to reduce a dense copy instead.</exception>
    public static (Memory<T> Memory, BufferShape Shape) Of(Tensor<T> tensor)
    {
        var flattened = tensor.FlattenedLength;
        if (flattened == 0)
        {
            return (Memory<T>.Empty, BufferShape.Tensor(0, tensor.Lengths)); // Tensor<T>.Empty (rank 0) reports IsDense false
        }

        if (!tensor.IsDense)
        {
            throw new ArgumentException(
                $"AllReduce needs a dense tensor (its elements contiguous in row-major order, as torch.distributed's all_reduce needs a contiguous one); " +
                $"this one has lengths [{string.Join(", ", tensor.Lengths.ToArray())}] and strides [{string.Join(", ", tensor.Strides.ToArray())}] " +
                "(a slice of columns, a transposed or a broadcast view). Reduce a dense copy, `var dense = tensor.ToDenseTensor();`, " +
                "and copy the result back with `dense.CopyTo(tensor)` if the view must hold it.",
                "values"); // the name of the tensor parameter of the AllReduceAsync overloads
        }

        // A dense tensor's elements are those of one T[] (Tensor<T> is backed by an array), so they fit an int.
        var length = checked((int)flattened);
        return (new DenseTensorMemory<T>(tensor, length).Memory, BufferShape.Tensor(length, tensor.Lengths));
    }

    /// <inheritdoc/>
    public override Span<T> GetSpan() => _tensor.GetSpan(_origin, _length);

    /// <summary>Not supported: the allreduce reads and writes the buffer through spans only, and never pins it.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override MemoryHandle Pin(int elementIndex = 0) =>
        throw new NotSupportedException("A tensor's memory seen by an allreduce is not pinnable: it is read through spans only.");

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }
}
