namespace OrleansRay.ObjectStore.Tests;

/// <summary>Deterministic, seed-dependent content, cheap to write and check at memory speed.</summary>
internal static class Patterns
{
    public static void Fill(Span<byte> bytes, ulong seed)
    {
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes);
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = Word(seed, (ulong)i);
        }

        for (var i = words.Length * 8; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(Word(seed, (ulong)i) >> 56);
        }
    }

    public static byte[] Create(int length, ulong seed)
    {
        var bytes = new byte[length];
        Fill(bytes, seed);
        return bytes;
    }

    /// <summary>The index of the first byte that differs from the pattern, or -1.</summary>
    public static long FirstMismatch(ReadOnlySpan<byte> bytes, ulong seed)
    {
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes);
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i] != Word(seed, (ulong)i))
            {
                return i * 8L;
            }
        }

        for (var i = words.Length * 8; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)(Word(seed, (ulong)i) >> 56))
            {
                return i;
            }
        }

        return -1;
    }

    private static ulong Word(ulong seed, ulong index)
    {
        // splitmix64 of (seed, index): every word differs, so shifted or swapped data is caught.
        var z = (seed * 0x9E3779B97F4A7C15UL) + index + 1;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
