namespace OrleansRay.ObjectStore.Protocol;

/// <summary>One 64-bit word of a client's lease table in shared memory: the store's grant and the client's readers.</summary>
/// <remarks>
/// Layout: bits 0..23 the number of the client's live readers (buffers handed out from this lease), bit 24
/// <see cref="Revoked"/> (set by the store: no new readers), bit 25 <see cref="Dead"/> (the lease is over: its pin is
/// being released, the slot may be granted again), bits 26..63 the generation the store stamped on this grant.
/// Who finalizes a revoked lease: whoever moves the word from "revoked, no readers" to <see cref="Dead"/> with one
/// compare-exchange: the store when it revokes an idle lease, the client when its last reader of a revoked lease
/// goes (it then tells the store with <c>Opcode.LeaseDone</c>). Exactly one of them wins. See docs/adr/0020.
/// </remarks>
internal static class LeaseWord
{
    public const long CountMask = (1L << 24) - 1;
    public const long Revoked = 1L << 24;
    public const long Dead = 1L << 25;
    public const int GenerationShift = 26;
    public const long MaxGeneration = (1L << (64 - GenerationShift)) - 1;

    public static long Generation(long word) => (long)((ulong)word >> GenerationShift);

    /// <summary>A fresh grant with one reader (the buffer the granting get returns).</summary>
    public static long Granted(long generation) => (generation << GenerationShift) | 1;

    /// <summary>Client: adds a reader when the word still holds this grant and it is not revoked.</summary>
    public static bool TryAcquire(ref long word, long generation)
    {
        while (true)
        {
            var current = Volatile.Read(ref word);
            if (Generation(current) != generation || (current & (Revoked | Dead)) != 0 || (current & CountMask) == CountMask)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref word, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Client: drops a reader; true when the caller finalized the lease (last reader of a revoked lease).</summary>
    public static bool Release(ref long word)
    {
        var current = Interlocked.Decrement(ref word);
        return TryFinalize(ref word, current);
    }

    /// <summary>Store: forbids new readers of this grant; true when the store finalized it (it had no readers).</summary>
    public static bool Revoke(ref long word, long generation)
    {
        while (true)
        {
            var current = Volatile.Read(ref word);
            if (Generation(current) != generation || (current & Dead) != 0)
            {
                return false;
            }

            if ((current & Revoked) != 0 || Interlocked.CompareExchange(ref word, current | Revoked, current) == current)
            {
                return TryFinalize(ref word, current | Revoked);
            }
        }
    }

    /// <summary>True when the word holds this grant, revoked by nobody, with no reader (so revoking frees it at once).</summary>
    public static bool IsIdle(long word, long generation) =>
        Generation(word) == generation && (word & (CountMask | Revoked | Dead)) == 0;

    public static long Readers(long word) => word & CountMask;

    private static bool TryFinalize(ref long word, long seen) =>
        (seen & (CountMask | Dead)) == 0 && (seen & Revoked) != 0
        && Interlocked.CompareExchange(ref word, seen | Dead, seen) == seen;
}
