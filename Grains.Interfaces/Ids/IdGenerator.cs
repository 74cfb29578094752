using System.Security.Cryptography;

namespace OrleansRay;

/// <summary>Makes 128-bit ids that are unique across the cluster without coordination.</summary>
/// <remarks>
/// The high 64 bits are random per process (drawn once); the low 64 bits count up. Two processes collide only if
/// their random prefixes collide (probability ~2^-64 per pair), so ids cost one interlocked increment on the hot path.
/// </remarks>
internal static class IdGenerator
{
    private static readonly ulong ProcessPrefix = CreatePrefix();
    private static long _counter;

    public static (ulong Hi, ulong Lo) Next() => (ProcessPrefix, (ulong)Interlocked.Increment(ref _counter));

    private static ulong CreatePrefix()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        var value = BitConverter.ToUInt64(bytes);
        return value == 0 ? 1 : value;
    }
}
