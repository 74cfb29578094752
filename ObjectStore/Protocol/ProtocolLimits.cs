namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Sizes and limits of the local protocol's frames: [u32 little-endian payload length][payload].</summary>
internal static class ProtocolLimits
{
    public const uint Version = 2;

    /// <summary>op (1) + request id (4).</summary>
    public const int HeaderSize = 5;

    /// <summary>The largest get names this many ids (a batch, not a bulk transfer).</summary>
    public const int MaxIdsPerRequest = 1024;

    /// <summary>Objects up to this size are put with their bytes in the request (one round trip instead of create + seal).</summary>
    public const int MaxInlinePut = 16 * 1024;

    /// <summary>Large enough for a full get request (1024 ids of 20 bytes), small enough that a bad length cannot make the store allocate much.</summary>
    public const int MaxRequestPayload = 32 * 1024;

    /// <summary>One object of a <see cref="Opcode.SealBatch"/>: id, flags, offset, size.</summary>
    public const int SealItemSize = 20 + 1 + 8 + 4;

    /// <summary>The most objects one seal batch names (fits <see cref="MaxRequestPayload"/>).</summary>
    public const int MaxSealBatch = 512;

    /// <summary>One location in a get reply: found, offset, size, lease slot, lease generation.</summary>
    public const int LocationSize = 1 + 8 + 8 + 4 + 8;

    /// <summary>Replies: a full get reply (1024 × <see cref="LocationSize"/> bytes) or an error message.</summary>
    public const int MaxReplyPayload = 64 * 1024;
}
