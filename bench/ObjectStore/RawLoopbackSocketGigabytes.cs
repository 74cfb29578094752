using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Objects;

/// <summary>Baseline for peer transfer: 1 GiB from one byte array to another over a loopback TCP connection, same chunk size as the store (8 MiB).</summary>
internal sealed class RawLoopbackSocketGigabytes : Benchmark
{
    private const int Chunk = 8 << 20;
    private byte[] _source = [];
    private byte[] _destination = [];

    public override string Name => "raw loopback socket gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "objects";

    public override Task SetupAsync(BenchEnvironment environment)
    {
        var size = environment.Quick ? 64 << 20 : 1 << 30;
        _source = new byte[size];
        _source.AsSpan().Fill(0x5A);
        _destination = new byte[size];
        _destination.AsSpan().Fill(1); // warm, like the store's prefaulted arena
        return Task.CompletedTask;
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        var stopwatch = Stopwatch.StartNew();
        await sender.ConnectAsync(listener.LocalEndPoint!);
        using var receiver = await accept;

        var send = Task.Run(async () =>
        {
            for (var sent = 0; sent < _source.Length;)
            {
                sent += await sender.SendAsync(_source.AsMemory(sent, Math.Min(Chunk, _source.Length - sent)), SocketFlags.None);
            }
        });
        for (var received = 0; received < _destination.Length;)
        {
            var read = await receiver.ReceiveAsync(_destination.AsMemory(received, Math.Min(Chunk, _destination.Length - received)), SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException("The loopback connection closed early.");
            }

            received += read;
        }

        await send;
        return _source.Length / stopwatch.Elapsed.TotalSeconds / 1e9;
    }

    public override Task CleanupAsync()
    {
        _source = [];
        _destination = [];
        return Task.CompletedTask;
    }
}
