namespace OrleansRay.ObjectStore.Client;

/// <summary>Copies large buffers with several threads, like Ray's plasma client (its <c>memcopy_threads</c>).</summary>
/// <remarks>One core cannot saturate memory bandwidth; below the threshold the fork/join costs more than it saves.</remarks>
internal static unsafe class ParallelCopy
{
    /// <summary>Copies below 8 MiB stay on the calling thread.</summary>
    public const int Threshold = 8 << 20;

    /// <summary>At most this many threads: past it the copy is bandwidth-bound anyway (Ray uses 6).</summary>
    private const int MaxThreads = 6;

    public static void Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        var threads = Math.Min(MaxThreads, Environment.ProcessorCount);
        if (source.Length < Threshold || threads < 2)
        {
            source.CopyTo(destination);
            return;
        }

        fixed (byte* from = source)
        fixed (byte* to = destination)
        {
            var length = (long)source.Length;
            var fromAddress = (nint)from;
            var toAddress = (nint)to;

            // Split on 64-byte boundaries so no cache line is written by two threads.
            var part = ((length / threads) + 63) & ~63L;
            Parallel.For(0, threads, i =>
            {
                var start = i * part;
                var count = Math.Min(part, length - start);
                if (count > 0)
                {
                    Buffer.MemoryCopy((byte*)fromAddress + start, (byte*)toAddress + start, count, count);
                }
            });
        }
    }
}
