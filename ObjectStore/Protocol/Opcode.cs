namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Requests of the local protocol.</summary>
internal enum Opcode : byte
{
    /// <summary>u32 version → i64 capacity, string arena path, string lease table path, i32 lease slots.</summary>
    Hello = 1,

    /// <summary>id, i64 size, u8 flags (bit 0: primary), i64 timeout ms (-1: store default) → i64 offset.</summary>
    Create = 2,

    /// <summary>id → empty.</summary>
    Seal = 3,

    /// <summary>id → empty.</summary>
    Abort = 4,

    /// <summary>i64 timeout ms (-1: forever), u16 count, ids → u16 count, per id: u8 found (0 no, 1 pinned, 2 leased),
    /// i64 offset, i64 size, i32 lease slot, i64 lease generation.</summary>
    Get = 5,

    /// <summary>id → empty (request id 0: no reply).</summary>
    Release = 6,

    /// <summary>u16 count, ids → i32 deleted.</summary>
    Delete = 7,

    /// <summary>id → u8.</summary>
    Contains = 8,

    /// <summary>empty → i32 field count, i64 fields.</summary>
    Stats = 9,

    /// <summary>id, u8 address length (4 or 16), address, u16 port, i64 timeout ms → empty.</summary>
    Pull = 10,

    /// <summary>id, u8 flags, i64 timeout ms, u32 length, bytes (at most <see cref="ProtocolLimits.MaxInlinePut"/>) → empty: create, copy and seal in one round trip.</summary>
    Put = 11,

    /// <summary>u16 count, ids → u16 count, per id: u8 <see cref="ObjectResidency"/> (0 absent, 1 in memory, 2 spilled).</summary>
    Residency = 12,

    /// <summary>i32 slot, i64 generation → empty (request id 0: no reply): the client finalized a revoked read lease.</summary>
    LeaseDone = 13,

    /// <summary>u32 aligned block size, u16 count → u16 count, i64 offsets: blocks reserved for write-behind puts (maybe fewer, or none).</summary>
    Reserve = 14,

    /// <summary>u16 count, per object: id, u8 flags (bit 0: primary), i64 reserved offset, u32 size → nothing (request id 0);
    /// each failed object is answered by an error frame with request id 0, which the client reports on its next call.</summary>
    SealBatch = 15,

    /// <summary>empty → empty: answered after every earlier request of the connection (a write-behind flush barrier).</summary>
    Sync = 16,
}
