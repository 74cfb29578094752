namespace OrleansRay.ObjectStore.Protocol;

/// <summary>Stats on the wire: an i32 field count, then that many i64 fields in a fixed order (new fields go last).</summary>
internal static class StatsCodec
{
    public static FrameWriter Write(FrameWriter writer, ObjectStoreStats stats)
    {
        long[] fields =
        [
            stats.Capacity, stats.UsedBytes, stats.TableBlockBytes, stats.FreeListBytes, stats.LargestFreeBlock,
            stats.FreeBlockCount, stats.ObjectCount, stats.SealedInMemoryCount, stats.UnsealedCount, stats.SpilledCount,
            stats.SpilledBytes, stats.PinnedCount, stats.TotalPins, stats.EvictionCount, stats.SpillCount,
            stats.RestoreCount, stats.PullCount, stats.PullBytesReceived, stats.TransferBytesSent, stats.SessionCount,
            stats.PrimaryCount,
        ];
        writer.WriteInt32(fields.Length);
        foreach (var field in fields)
        {
            writer.WriteInt64(field);
        }

        return writer;
    }

    public static ObjectStoreStats Read(ref FrameReader reader)
    {
        var count = reader.ReadInt32();
        if (count is < 20 or > 1000)
        {
            throw new ProtocolException($"Stats with {count} fields.");
        }

        var f = new long[count];
        for (var i = 0; i < count; i++)
        {
            f[i] = reader.ReadInt64();
        }

        return new ObjectStoreStats
        {
            Capacity = f[0],
            UsedBytes = f[1],
            TableBlockBytes = f[2],
            FreeListBytes = f[3],
            LargestFreeBlock = f[4],
            FreeBlockCount = (int)f[5],
            ObjectCount = (int)f[6],
            SealedInMemoryCount = (int)f[7],
            UnsealedCount = (int)f[8],
            SpilledCount = (int)f[9],
            SpilledBytes = f[10],
            PinnedCount = (int)f[11],
            TotalPins = f[12],
            EvictionCount = f[13],
            SpillCount = f[14],
            RestoreCount = f[15],
            PullCount = f[16],
            PullBytesReceived = f[17],
            TransferBytesSent = f[18],
            SessionCount = (int)f[19],
            PrimaryCount = count > 20 ? (int)f[20] : 0, // a store of an older build does not send it
        };
    }
}
