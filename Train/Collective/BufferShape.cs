namespace OrleansRay.Train.Collective;

/// <summary>What the buffers of one allreduce must agree on, rank to rank: the element count, and for a tensor its
/// lengths (a 2×3 and a 3×2 tensor hold as many elements but are not the same buffer). Every message of the allreduce
/// carries the sender's, and the receiver refuses a message whose shape differs from its own.</summary>
internal readonly struct BufferShape
{
    private BufferShape(int length, long[]? dimensions)
    {
        Length = length;
        Dimensions = dimensions;
    }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>The tensor's lengths, one per dimension; null for an array.</summary>
    public long[]? Dimensions { get; }

    /// <summary>The shape of an array of <paramref name="length"/> elements.</summary>
    public static BufferShape Array(int length) => new(length, null);

    /// <summary>The shape of a tensor of <paramref name="length"/> elements and these lengths.</summary>
    public static BufferShape Tensor(int length, ReadOnlySpan<nint> lengths)
    {
        var dimensions = new long[lengths.Length];
        for (var i = 0; i < lengths.Length; i++)
        {
            dimensions[i] = lengths[i];
        }

        return new(length, dimensions);
    }

    /// <summary>The shape a received message was sent with.</summary>
    public static BufferShape Of(CollectiveMessage message) => new(message.Length, message.Shape);

    /// <summary>Whether <paramref name="other"/> is the same shape (an array and a tensor never are).</summary>
    public bool Matches(BufferShape other) =>
        Length == other.Length && (Dimensions is null
            ? other.Dimensions is null
            : other.Dimensions is not null && Dimensions.AsSpan().SequenceEqual(other.Dimensions));

    /// <summary>"12 elements" or "a tensor of shape [3, 4]".</summary>
    public override string ToString() =>
        Dimensions is null ? $"{Length} elements" : $"a tensor of shape [{string.Join(", ", Dimensions)}]";
}
