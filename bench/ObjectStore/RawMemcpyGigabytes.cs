using System.Diagnostics;
using System.Runtime.InteropServices;
using OrleansRay.Bench.Harness;

namespace OrleansRay.Bench.Objects;

/// <summary>Baseline for puts: Buffer.MemoryCopy of the same 1 GiB array into warm native memory, on one thread.</summary>
internal sealed class RawMemcpyGigabytes : Benchmark
{
    private const int CopiesPerRun = 3;
    private nint _destination;
    private nuint _size;

    public override string Name => "raw memcpy gigabytes";

    public override string Unit => "GB/s";

    public override string Group => "objects";

    public override async Task SetupAsync(BenchEnvironment environment)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        _size = (nuint)fixture.LargeSize;
        _destination = Allocate(_size);
    }

    public override async Task<double> MeasureAsync(BenchEnvironment environment, BenchRun run)
    {
        var fixture = await environment.GetAsync(() => ObjectStoreBenchFixture.CreateAsync(environment.Quick));
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < CopiesPerRun; i++)
        {
            Copy(fixture.Source, _destination, _size);
        }

        return (double)CopiesPerRun * _size / stopwatch.Elapsed.TotalSeconds / 1e9;
    }

    public override Task CleanupAsync()
    {
        Free(_destination);
        _destination = 0;
        return Task.CompletedTask;
    }

    private static unsafe nint Allocate(nuint size)
    {
        var pointer = NativeMemory.AlignedAlloc(size, 4096);
        NativeMemory.Fill(pointer, size, 1); // fault the pages in, as the store does with its arena
        return (nint)pointer;
    }

    private static unsafe void Copy(byte[] source, nint destination, nuint size)
    {
        fixed (byte* from = source)
        {
            Buffer.MemoryCopy(from, (void*)destination, (long)size, (long)size);
        }
    }

    private static unsafe void Free(nint pointer) => NativeMemory.AlignedFree((void*)pointer);
}
