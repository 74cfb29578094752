using System.Buffers.Binary;
using System.Net.Sockets;
using OrleansRay.ObjectStore.Protocol;
using Xunit;

namespace OrleansRay.ObjectStore.Tests;

/// <summary>Random, malformed, oversized and truncated frames against the real store process.</summary>
public sealed class ProtocolFuzzTests
{
    private const int Connections = 240;
    private const int FramesPerConnection = 40;

    [Fact]
    public async Task Thousands_of_random_and_truncated_frames_leave_the_store_up_and_its_table_consistent()
    {
        await using var store = await TestStore.StartProcessAsync(8 << 20, o => o.CreateTimeout = TimeSpan.FromSeconds(1));
        await using var client = await store.ConnectAsync();
        var keep = StoreObjectId.NewId();
        var keepData = Patterns.Create(100_000, 3);
        await client.PutAsync(keep, keepData);
        using var pinned = await client.GetAsync(keep, TimeSpan.FromSeconds(10));

        var pool = Enumerable.Range(0, 16).Select(_ => StoreObjectId.NewId()).ToArray();
        long framesSent = 0;
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, Connections),
                new ParallelOptions { MaxDegreeOfParallelism = 4 },
                async (connection, _) => Interlocked.Add(ref framesSent, await FuzzOneConnectionAsync(store.Process!.SocketPath, pool, new Random(connection))));
        }
        catch (SocketException ex)
        {
            Assert.Fail($"The store stopped accepting connections ({ex.Message}); exited: {store.Process!.HasExited}; stderr: {store.Process.StandardError}");
        }

        Assert.True(framesSent >= 4000, $"only {framesSent} frames were sent");
        Assert.False(store.Process!.HasExited, store.Process.StandardError);

        // Every fuzz connection is gone: their pins, unsealed objects and sessions go with them.
        await Waiting.UntilAsync(
            async () => await client.GetStatsAsync() is { SessionCount: 1, UnsealedCount: 0, TotalPins: 1 },
            TimeSpan.FromSeconds(30),
            "the fuzz sessions to be released");
        var stats = await client.GetStatsAsync();
        Assert.True(stats.IsConsistent, stats.ToString());
        Assert.True(pinned.Span.SequenceEqual(keepData));

        // Still fully working.
        var after = StoreObjectId.NewId();
        await client.PutAsync(after, keepData);
        using var reread = await client.GetAsync(after, TimeSpan.FromSeconds(10));
        Assert.True(reread.Span.SequenceEqual(keepData));
        Assert.True((await client.GetStatsAsync()).IsConsistent);
    }

    private static async Task<int> FuzzOneConnectionAsync(string socketPath, StoreObjectId[] pool, Random random)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var drain = DrainAsync(socket);
        var sent = 0;
        try
        {
            for (var i = 0; i < FramesPerConnection; i++)
            {
                var kind = random.Next(100);
                byte[] frame;
                var last = false;
                if (kind < 5)
                {
                    frame = RandomBytes(random, random.Next(1, 64)); // garbage: breaks the framing
                }
                else if (kind < 10)
                {
                    frame = new byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)random.Next(ProtocolLimits.MaxRequestPayload + 1, int.MaxValue)); // oversized
                }
                else if (kind < 15)
                {
                    var whole = ValidFrame(random, pool);
                    frame = whole[..random.Next(1, whole.Length)]; // truncated, then the connection ends
                    last = true;
                }
                else if (kind < 40)
                {
                    frame = Frame(RandomBytes(random, random.Next(0, 200)), (byte)random.Next(0, 13)); // known or unknown op, random body
                }
                else if (kind < 55)
                {
                    frame = Mutate(random, ValidFrame(random, pool)); // one field corrupted
                }
                else
                {
                    frame = ValidFrame(random, pool);
                }

                await socket.SendAsync(frame, SocketFlags.None);
                sent++;
                if (last)
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // The store closed this connection after a framing error: that is the expected answer.
        }

        // Half-close and read until the store closes its side: the store has then handled (or rejected) every frame.
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already closed by the store.
        }

        await drain.WaitAsync(TimeSpan.FromSeconds(30));
        return sent;
    }

    private static async Task DrainAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Closed.
        }
    }

    private static byte[] ValidFrame(Random random, StoreObjectId[] pool)
    {
        var id = pool[random.Next(pool.Length)];
        var op = (Opcode)random.Next(1, 12);
        var w = new FrameWriter((byte)op, (uint)random.Next(1, 1000));
        switch (op)
        {
            case Opcode.Hello:
                w.WriteUInt32(ProtocolLimits.Version);
                break;
            case Opcode.Create:
                w.WriteId(id).WriteInt64(random.Next(0, 3 << 20)).WriteByte((byte)random.Next(2)).WriteInt64(random.Next(0, 20));
                break;
            case Opcode.Get:
                w.WriteInt64(random.Next(-1, 10)).WriteUInt16(2).WriteId(id).WriteId(pool[random.Next(pool.Length)]);
                break;
            case Opcode.Delete:
                w.WriteUInt16(1).WriteId(id);
                break;
            case Opcode.Stats:
                break;
            case Opcode.Put:
                var data = RandomBytes(random, random.Next(0, 200));
                w.WriteId(id).WriteByte((byte)random.Next(2)).WriteInt64(random.Next(0, 20)).WriteUInt32((uint)data.Length).WriteBytes(data);
                break;
            case Opcode.Pull:
                w.WriteId(id).WriteByte(4).WriteBytes([127, 0, 0, 1]).WriteUInt16(1).WriteInt64(50);
                break;
            default:
                w.WriteId(id);
                break;
        }

        return w.ToMemory().ToArray();
    }

    private static byte[] Mutate(Random random, byte[] frame)
    {
        var at = random.Next(4, frame.Length);
        frame[at] = (byte)random.Next(256);
        return frame;
    }

    private static byte[] Frame(byte[] body, byte op)
    {
        var frame = new byte[4 + 5 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(5 + body.Length));
        frame[4] = op;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(5), 77);
        body.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
